import SwaggerParser from '@apidevtools/swagger-parser';
import { openApiDocument } from '../../../src/api/openapi';
import { canonicalEventSchema } from '../../../src/domain/events/canonicalEvent';

describe('OpenAPI document', () => {
  test('is a valid OpenAPI 3.1 document', async () => {
    // validate() dereferences in place: hand it a copy.
    await expect(SwaggerParser.validate(structuredClone(openApiDocument()) as never)).resolves.toBeDefined();
  });

  test('describes the canonical event from the schema that validates it', () => {
    const schemas = (
      openApiDocument().components as { schemas: Record<string, { required?: string[]; properties: object }> }
    ).schemas;
    const event = schemas.CanonicalEvent;
    expect(event?.required?.sort()).toEqual(['appointment_id', 'event_type', 'patient_id'].sort());
    // The time is required unless the event is a cancellation or no-show.
    expect(event).toMatchObject({
      if: { properties: { event_type: { enum: ['CANCELED', 'NOSHOWED'] } } },
      else: { required: ['appointment_datetime', 'appointment_timezone'] },
    });
    expect(Object.keys(event?.properties ?? {}).sort()).toEqual(
      Object.keys(canonicalEventSchema.shape).sort(),
    );
  });

  test('documents every contract endpoint', () => {
    const paths = Object.keys(openApiDocument().paths as object);
    for (const path of [
      '/v1/ehr/events',
      '/v1/ehr/hl7v2',
      '/v1/ehr/fhir',
      '/v1/appointments/{appointment_id}',
      '/v1/twilio/inbound',
      '/v1/twilio/status',
      '/v1/sandbox/messages',
      '/v1/sandbox/inbound',
      '/v1/sandbox/ehr-callbacks',
      '/healthz',
      '/readyz',
    ]) {
      expect(paths).toContain(path);
    }
  });
});
