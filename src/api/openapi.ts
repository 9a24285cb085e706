/**
 * The OpenAPI 3.1 document of the HTTP API, built from the zod schemas that validate requests, so
 * the document cannot drift from what the service accepts. Served at GET /openapi.json.
 */
import { Router } from 'express';
import { z } from 'zod';
import { canonicalEventSchema } from '../domain/events/canonicalEvent';
import {
  APPOINTMENT_STATUSES,
  EHR_EVENT_TYPES,
  IGNORED_EVENT_REASONS,
  OUTBOUND_KINDS,
  REMINDER_KINDS,
  REMINDER_STATUSES,
  UNTEXTABLE_REASONS,
  UNTIMED_EVENT_TYPES,
  type AppointmentView,
} from '../shared/appointment';
import { sandboxInboundRequest } from '../sandbox/sandboxInbound';
import { twilioInboundForm, twilioStatusForm } from './twilioWebhooks';

type JsonSchema = Record<string, unknown>;

const toSchema = (schema: z.ZodType): JsonSchema => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
  }) as JsonSchema;
  return rest;
};

const untextable = z
  .enum(UNTEXTABLE_REASONS)
  .describe('Recorded, but no texts: why (absent when the appointment can be texted)');

const submitResult = z.object({
  workflowId: z.string(),
  appointmentId: z.string(),
  eventId: z.string(),
  duplicate: z.boolean(),
  untextable: untextable.optional(),
  resolving: z
    .literal(true)
    .optional()
    .describe(
      'FHIR: the Appointment references resources the EHR holds (FHIR_BASE_URL); they are being read, then the event goes to the appointment',
    ),
});

const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  }),
});

const appointmentView = z.object({
  appointmentId: z.string(),
  status: z.enum(APPOINTMENT_STATUSES),
  start: z.string().describe('ISO 8601 with the appointment zone offset'),
  timeZone: z.string(),
  localStart: z.string(),
  optedOut: z.boolean(),
  reminders: z.array(
    z.object({
      kind: z.enum(REMINDER_KINDS),
      dueAt: z.string(),
      sendAt: z.string().nullable(),
      status: z.enum(REMINDER_STATUSES),
      note: z.string().optional(),
    }),
  ),
  messages: z.array(
    z.object({
      kind: z.enum(OUTBOUND_KINDS),
      sid: z.string().nullable(),
      status: z.string(),
      sentAt: z.string().nullable(),
      error: z.string().optional(),
    }),
  ),
  callbacks: z.array(
    z.object({
      type: z.enum(['CONFIRM', 'CANCEL']),
      status: z.string(),
      repliedAt: z.string(),
      deliveredAt: z.string().nullable(),
      error: z.string().optional(),
    }),
  ),
  ignoredEvents: z.array(
    z.object({
      eventId: z.string(),
      eventType: z.enum(EHR_EVENT_TYPES),
      eventAt: z.string(),
      reason: z.enum(IGNORED_EVENT_REASONS),
    }),
  ),
  lastEventAt: z.string(),
  version: z.number(),
  untextable: untextable.optional(),
});

/**
 * Compile-time guard: the documented response and the TypeScript view are the same type, optional
 * fields included (mutual assignability would let an optional field go missing).
 */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const viewDocumented: Same<z.output<typeof appointmentView>, AppointmentView> = true;
void viewDocumented;

const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
const form = (ref: string) => ({
  'application/x-www-form-urlencoded': { schema: { $ref: `#/components/schemas/${ref}` } },
});
const errors = {
  '400': { description: 'Invalid input; every bad field is listed', content: json('Error') },
  '401': { description: 'Missing or unknown bearer key', content: json('Error') },
  '413': { description: 'Body over 256 KB', content: json('Error') },
};
const retryAfter = {
  'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer' } },
};
/** 503: Temporal unreachable, over its limits, or silent past TEMPORAL_SUBMIT_TIMEOUT_MS. */
const unavailable = (description: string, content: Record<string, unknown> = json('Error')) => ({
  description: `${description}; try again after Retry-After`,
  headers: retryAfter,
  content,
});

export function openApiDocument(): JsonSchema {
  const canonical = toSchema(canonicalEventSchema);
  // The enum is applied after normalising case; show the accepted values to integrators.
  (canonical.properties as Record<string, JsonSchema>).event_type = {
    type: 'string',
    enum: [...EHR_EVENT_TYPES],
  };
  // The time is required except in a cancellation or no-show, which may name a known appointment only.
  canonical.if = { properties: { event_type: { enum: [...UNTIMED_EVENT_TYPES] } } };
  canonical.else = { required: ['appointment_datetime', 'appointment_timezone'] };
  const schemas: Record<string, JsonSchema> = {
    CanonicalEvent: canonical,
    SubmitResult: toSchema(submitResult),
    Error: toSchema(errorBody),
    AppointmentView: toSchema(appointmentView),
    TwilioInboundForm: toSchema(twilioInboundForm),
    TwilioStatusForm: toSchema(twilioStatusForm),
    SandboxInbound: toSchema(sandboxInboundRequest),
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Appointment messaging API',
      version: '1',
      description: 'EHR ingress (JSON, HL7 v2, FHIR), appointment state, Twilio webhooks and the sandbox.',
    },
    components: {
      securitySchemes: { ehrKey: { type: 'http', scheme: 'bearer', description: 'A key from EHR_API_KEYS' } },
      schemas,
    },
    paths: {
      '/healthz': { get: { summary: 'Process is up', responses: { '200': { description: 'OK' } } } },
      '/readyz': {
        get: {
          summary: 'Temporal reachable and a worker polling',
          responses: {
            '200': { description: 'Ready' },
            '503': { description: 'Not ready, with the reason' },
          },
        },
      },
      '/v1/ehr/events': {
        post: {
          summary: 'Submit a canonical appointment event',
          security: [{ ehrKey: [] }],
          requestBody: { required: true, content: json('CanonicalEvent') },
          responses: {
            '202': {
              description: 'Handed durably to the appointment workflow',
              content: json('SubmitResult'),
            },
            '200': {
              description: 'Duplicate: an event id this API process handed over recently',
              content: json('SubmitResult'),
            },
            '415': { description: 'Not application/json', content: json('Error') },
            '503': unavailable(
              'Temporal could not take the event in time; it was not stored (or not confirmed)',
            ),
            ...errors,
          },
        },
      },
      '/v1/ehr/hl7v2': {
        post: {
          summary: 'Submit an HL7 v2 SIU message (ER7); answered with an HL7 ACK',
          security: [{ ehrKey: [] }],
          requestBody: { required: true, content: { 'application/hl7-v2': { schema: { type: 'string' } } } },
          responses: {
            '200': {
              description:
                'HL7 ACK (MSA-1 AA, AE or AR); AR with ERR 207 and a Retry-After header when Temporal could not take it',
              content: { 'application/hl7-v2': { schema: { type: 'string' } } },
            },
          },
        },
      },
      '/v1/ehr/fhir': {
        post: {
          summary: 'Submit a FHIR R4 Appointment or a Bundle holding it',
          security: [{ ehrKey: [] }],
          requestBody: {
            required: true,
            content: { 'application/fhir+json': { schema: { type: 'object' } } },
          },
          responses: {
            '202': {
              description: 'Handed durably to the appointment workflow',
              content: json('SubmitResult'),
            },
            '200': { description: 'Duplicate version', content: json('SubmitResult') },
            '400': {
              description: 'OperationOutcome listing every problem',
              content: { 'application/fhir+json': { schema: { type: 'object' } } },
            },
            '503': unavailable(
              'Temporal could not take the event in time (OperationOutcome, code transient)',
              {
                'application/fhir+json': { schema: { type: 'object' } },
              },
            ),
          },
        },
      },
      '/v1/appointments/{appointment_id}': {
        get: {
          summary: 'Live state of one appointment, from its workflow',
          security: [{ ehrKey: [] }],
          parameters: [{ name: 'appointment_id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': { description: 'The appointment', content: json('AppointmentView') },
            '404': { description: 'Unknown appointment', content: json('Error') },
            '401': errors['401'],
            '503': unavailable(
              'The appointment exists but its workflow did not answer in time (no worker, or overloaded)',
            ),
          },
        },
      },
      '/v1/twilio/inbound': {
        post: {
          summary: 'Twilio inbound SMS webhook (X-Twilio-Signature required); answers TwiML',
          requestBody: { required: true, content: form('TwilioInboundForm') },
          responses: {
            '200': { description: 'TwiML' },
            '403': { description: 'Signature missing or invalid' },
          },
        },
      },
      '/v1/twilio/status': {
        post: {
          summary: 'Twilio delivery status callback (X-Twilio-Signature required)',
          requestBody: { required: true, content: form('TwilioStatusForm') },
          responses: {
            '204': { description: 'Recorded' },
            '403': { description: 'Signature missing or invalid' },
          },
        },
      },
      '/v1/sandbox/messages': {
        get: {
          summary: 'Sandbox: texts sent, oldest first',
          responses: { '200': { description: '[{sid,to,from,body,status,createdAt}]' } },
        },
      },
      '/v1/sandbox/inbound': {
        post: {
          summary: 'Sandbox: a patient reply, delivered through the signed inbound webhook',
          requestBody: { required: true, content: json('SandboxInbound') },
          responses: { '202': { description: 'Delivered to the webhook' } },
        },
      },
      '/v1/sandbox/ehr-callbacks': {
        get: {
          summary: 'Sandbox: EHR callbacks received, oldest first',
          responses: { '200': { description: '[{receivedAt,headers,body}]' } },
        },
      },
    },
  };
}

export function openApiRouter(): Router {
  const document = openApiDocument();
  return Router().get('/openapi.json', (_req, res) => {
    res.json(document);
  });
}
