/**
 * The integration page's example messages (JSON, HL7 v2 SIU, FHIR Appointment) with made-up data, for
 * an appointment a few days ahead so a copy sent to the sandbox is accepted and texted.
 */
import { DateTime } from 'luxon';

export interface IntegrationExamples {
  readonly json: string;
  readonly hl7: string;
  readonly fhir: string;
}

/**
 * Example messages with made-up data (a 555-01xx number, "Robin Example"), for an appointment three days
 * after `now` at 09:30 in `timeZone`, so a copy sent to the sandbox is accepted and texted.
 */
export function integrationExamples(now: Date, timeZone: string): IntegrationExamples {
  const sent = DateTime.fromJSDate(now).toUTC();
  const start = DateTime.fromJSDate(now)
    .setZone(timeZone)
    .plus({ days: 3 })
    .set({ hour: 9, minute: 30, second: 0, millisecond: 0 });
  const json = JSON.stringify(
    {
      event_type: 'BOOKED',
      event_id: 'example-evt-0001',
      event_datetime_utc: sent.toISO({ suppressMilliseconds: true }),
      appointment_id: 'EXAMPLE-1001',
      appointment_datetime: start.toFormat("yyyy-MM-dd'T'HH:mm:ss"),
      appointment_timezone: timeZone,
      appointment_location: 'Example Clinic, Suite 2',
      patient_id: 'P-EXAMPLE-1',
      patient_first_name: 'Robin',
      patient_last_name: 'Example',
      patient_phone: '+13035550142',
      patient_language: 'en',
      provider_id: 'PR-100',
      provider_first_name: 'Sam',
      provider_last_name: 'Sample',
      provider_callback_phone: '+13035550100',
    },
    null,
    2,
  );
  const hl7 = [
    `MSH|^~\\&|EHR|EXAMPLE|SMS|EXAMPLE|${sent.toFormat('yyyyMMddHHmmss')}||SIU^S12^SIU_S12|EXAMPLE-MSG-0001|P|2.5.1`,
    `SCH||EXAMPLE-1002^EHR|||||||30|MIN|^^30^${start.toFormat('yyyyMMddHHmmss')}`,
    'PID|1||P-EXAMPLE-2^^^EHR^MR||EXAMPLE^ROBIN||||||||^PRN^CP^^1^303^5550143||eng',
    'AIL|1||^^^^^^^^Example Clinic',
    'AIP|1||PR-100^SAMPLE^SAM',
  ].join('\n');
  const fhir = JSON.stringify(
    {
      resourceType: 'Appointment',
      id: 'EXAMPLE-1003',
      meta: { versionId: '1', lastUpdated: sent.toISO({ suppressMilliseconds: true }) },
      status: 'booked',
      start: start.toISO({ suppressMilliseconds: true }),
      end: start.plus({ minutes: 30 }).toISO({ suppressMilliseconds: true }),
      contained: [
        {
          resourceType: 'Patient',
          id: 'patient',
          identifier: [{ system: 'urn:example:mrn', value: 'P-EXAMPLE-3' }],
          name: [{ use: 'usual', given: ['Robin'], family: 'Example' }],
          telecom: [{ system: 'phone', use: 'mobile', value: '+13035550144' }],
          communication: [
            { language: { coding: [{ system: 'urn:ietf:bcp:47', code: 'en' }] }, preferred: true },
          ],
        },
        {
          resourceType: 'Practitioner',
          id: 'provider',
          name: [{ given: ['Sam'], family: 'Sample' }],
          telecom: [{ system: 'phone', use: 'work', value: '+13035550100' }],
        },
        { resourceType: 'Location', id: 'location', name: 'Example Clinic' },
      ],
      participant: [
        { actor: { reference: '#patient' }, status: 'accepted' },
        { actor: { reference: '#provider' }, status: 'accepted' },
        { actor: { reference: '#location' }, status: 'accepted' },
      ],
    },
    null,
    2,
  );
  return { json, hl7, fhir };
}
