/**
 * How the SIU mapping reports a problem: located the way an ERR segment names it (segment, field) with an
 * HL7 table 0357 code, so the ACK (ack.ts) can say where the sender put the bad value without repeating it.
 */

/** HL7 table 0357 (message error condition codes), the ones this service reports. */
export const HL7_ERROR_CODES = {
  /** With severity W: recorded, with something the sender should know (e.g. no number to text). */
  messageAccepted: 0,
  segmentSequenceError: 100,
  requiredFieldMissing: 101,
  dataTypeError: 102,
  unsupportedMessageType: 200,
  unsupportedEventCode: 201,
  unsupportedVersionId: 203,
  applicationInternalError: 207,
} as const;
export type Hl7ErrorCode = (typeof HL7_ERROR_CODES)[keyof typeof HL7_ERROR_CODES];

/** One reason a message was not accepted, located the way an ERR segment names it. */
export interface Hl7Problem {
  segment: string;
  /** Field position (SCH-2 → 2); absent when the whole segment is the problem. */
  field?: number;
  /** Human-readable; goes back to the sender in the ACK, so never carries the offending value. */
  message: string;
  hl7ErrorCode: Hl7ErrorCode;
}

/** Problems found so far; each reader adds its own, so one answer lists them all. */
export type Problems = Hl7Problem[];

export interface FieldSource {
  segment: string;
  field: number;
}

/** A value and the field it was read from, so a bad value is reported where the sender put it. */
export interface Sourced<T> extends FieldSource {
  value: T;
}

export function problem(
  segment: string,
  field: number | undefined,
  hl7ErrorCode: Hl7ErrorCode,
  message: string,
): Hl7Problem {
  return { segment, ...(field === undefined ? {} : { field }), message, hl7ErrorCode };
}
