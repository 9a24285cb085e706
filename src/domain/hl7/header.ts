/**
 * The message header (MSH): what the ACK echoes, which messages we take at all (HL7's basic acknowledgment
 * checks on MSH-9 and MSH-12), and MSH-10 as the event id. Kept apart because it is read before anything else
 * and a failure here is a reject (AR), not an error in the content (AE).
 */
import { createHash } from 'node:crypto';
import type { EhrEventType } from '../../shared/appointment';
import { isEhrIdentifier } from '../events/ingestRules';
import type { Er7Message } from './er7';
import { HL7_ERROR_CODES, problem, type Hl7Problem } from './problems';

/** SIU trigger events we act on (HL7 table 0003) and the canonical event each one is. */
export const SIU_TRIGGER_EVENTS: Readonly<Record<string, EhrEventType>> = {
  S12: 'BOOKED',
  S13: 'RESCHEDULED',
  S14: 'MODIFIED',
  S15: 'CANCELED',
  // S17 "deletion": the slot is gone, which for the patient is a cancellation.
  S17: 'CANCELED',
  S26: 'NOSHOWED',
};

/** What the ACK needs from the message header (MSH), decoded; HD/PT fields keep their components. */
export interface Hl7Header {
  sendingApplication: string[];
  sendingFacility: string[];
  receivingApplication: string[];
  receivingFacility: string[];
  /** MSH-9.1, e.g. SIU. */
  messageCode: string;
  /** MSH-9.2, e.g. S12. */
  triggerEvent: string;
  /** MSH-10; empty when the sender left it out. */
  controlId: string;
  /** MSH-11 (processing id ^ processing mode). */
  processingId: string[];
  /** MSH-12.1, e.g. 2.5.1. */
  versionId: string;
  /** MSH-15 / MSH-16: either valued means enhanced acknowledgment mode. */
  acceptAckType: string;
  applicationAckType: string;
}

/** The header; throws Er7ReadError when the message's segments cannot be read. */
export function readHeader(message: Er7Message): Hl7Header {
  const msh = message.segment('MSH');
  const field = (n: number) => msh?.field(n);
  const messageType = field(9);
  return {
    sendingApplication: field(3)?.texts() ?? [],
    sendingFacility: field(4)?.texts() ?? [],
    receivingApplication: field(5)?.texts() ?? [],
    receivingFacility: field(6)?.texts() ?? [],
    messageCode: (messageType?.value(1) ?? '').toUpperCase(),
    triggerEvent: (messageType?.value(2) ?? '').toUpperCase(),
    // Untrimmed: MSA-2 must echo it exactly.
    controlId: field(10)?.text(1) ?? '',
    processingId: field(11)?.texts() ?? [],
    versionId: field(12)?.value(1) ?? '',
    acceptAckType: (field(15)?.value(1) ?? '').toUpperCase(),
    applicationAckType: (field(16)?.value(1) ?? '').toUpperCase(),
  };
}

/** The basic checks of HL7's acknowledgment rules (MSH-9, MSH-12): failing one is a reject (AR). */
export function checkMessageType(header: Hl7Header): Hl7Problem[] {
  const problems: Hl7Problem[] = [];
  if (header.messageCode !== 'SIU') {
    problems.push(
      problem(
        'MSH',
        9,
        HL7_ERROR_CODES.unsupportedMessageType,
        `unsupported message type ${printable(header.messageCode)}: only SIU is accepted`,
      ),
    );
  } else if (!Object.hasOwn(SIU_TRIGGER_EVENTS, header.triggerEvent)) {
    problems.push(
      problem(
        'MSH',
        9,
        HL7_ERROR_CODES.unsupportedEventCode,
        `unsupported trigger event ${printable(header.triggerEvent)}: accepted are ${Object.keys(SIU_TRIGGER_EVENTS).join(', ')}`,
      ),
    );
  }
  // Every v2.x has the SIU fields we read; an empty MSH-12 is tolerated, v3 or garbage is not.
  if (header.versionId && !/^2\.\d/.test(header.versionId)) {
    problems.push(
      problem(
        'MSH',
        12,
        HL7_ERROR_CODES.unsupportedVersionId,
        'unsupported HL7 version: only 2.x is accepted',
      ),
    );
  }
  return problems;
}

/** Message type codes are short codes, not patient data; still bounded and printable for the ACK. */
function printable(code: string): string {
  return code ? `"${code.replace(/[^\x20-\x7e]/g, '?').slice(0, 20)}"` : '(empty)';
}

/**
 * MSH-10 is the event id. HL7 lets it hold characters our ids may not (spaces, slashes), so such
 * a control id is hashed: still stable, so a resent message is still recognised as a duplicate.
 */
export function eventIdFor(controlId: string): string {
  if (isEhrIdentifier(controlId)) return controlId;
  return `hl7-${createHash('sha256').update(controlId).digest('hex').slice(0, 32)}`;
}
