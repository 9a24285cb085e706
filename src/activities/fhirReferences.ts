/**
 * Activities of the FHIR ingest workflow: read what a posted Appointment references from the EHR and map the
 * self-contained result (`resolveFhirAppointment`), then hand the event to its appointment workflow through
 * AppointmentGateway.submit, the same signal-with-start as every ingress (`submitResolvedFhirEvent`).
 * Failures a retry may fix are thrown (Temporal retries them with backoff); a 404/410 is an answer, not retried.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { AppConfig } from '../config';
import { appointmentPolicy } from '../config/policy';
import { mapFhirAppointment } from '../domain/fhir/appointmentMapping';
import {
  FHIR_REFERENCE_REFUSED,
  FHIR_UNKNOWN_APPOINTMENT,
  withResolvedResources,
  type FhirIngestInput,
  type FhirResolution,
} from '../domain/fhir/resolvedReferences';
import { createEhrFhirClient, type EhrFhirReader, type Json } from '../fhir/ehrFhirClient';
import { AppointmentGateway, UnknownAppointmentError, type SubmitResult } from '../ingest/appointmentGateway';
import type { Logger } from '../log';
import type { AppointmentPolicy, IngestedEvent } from '../shared/appointment';

/** A PractitionerRole leads to its Practitioner: at most this many rounds of reads per event. */
const MAX_ROUNDS = 3;

export interface FhirActivitySettings {
  /** The EHR's FHIR API and its base (FHIR_BASE_URL); absent when this worker has none configured. */
  ehr?: { reader: EhrFhirReader; baseUrl: string };
  /** What the hand-off signals with, as the API's gateway does. */
  policy: AppointmentPolicy;
  defaultCountry: string;
  defaultTimezone: string;
}

/** The settings of a worker's configuration; reads the SMART private key now (a bad key stops the worker). */
export function fhirActivitySettings(config: AppConfig): FhirActivitySettings {
  return {
    ...(config.fhir
      ? { ehr: { reader: createEhrFhirClient(config.fhir), baseUrl: config.fhir.baseUrl } }
      : {}),
    policy: appointmentPolicy(config),
    defaultCountry: config.env.DEFAULT_COUNTRY,
    defaultTimezone: config.defaultTimezone,
  };
}

export interface FhirReferenceActivityDeps {
  /** Undefined (a worker built without them): both activities fail, and are retried, until a worker has them. */
  settings: FhirActivitySettings | undefined;
  /** The client the other activities use: the hand-off goes through AppointmentGateway on it. */
  temporal: { client: Client; taskQueue: string };
  logger: Logger;
}

export function createFhirReferenceActivities({ settings, temporal, logger }: FhirReferenceActivityDeps) {
  const log = logger.child({ component: 'fhir-references' });
  const gateway: Pick<AppointmentGateway, 'submit'> | undefined =
    settings && new AppointmentGateway(temporal.client, temporal.taskQueue, () => settings.policy);
  return {
    async resolveFhirAppointment(input: FhirIngestInput): Promise<FhirResolution> {
      const ehr = settings?.ehr;
      if (!settings || !ehr) {
        // Retried: the API has FHIR_BASE_URL and this worker not; fixing its settings lets the event through.
        throw new Error('FHIR_BASE_URL is not set on this worker: it cannot read FHIR references');
      }
      const resolved: Record<string, Json> = {};
      const missing: string[] = [];
      const attempted = new Set<string>();
      let pending = input.references;
      // A notification that only named the Appointment: read it first, then what it references.
      let resource = input.resource;
      if (resource === undefined) {
        const reference = input.appointmentReference ?? '';
        const outcome = await ehr.reader.read(reference);
        if (outcome.status === 'refused') {
          throw ApplicationFailure.nonRetryable(
            `The notified Appointment is not readable here: ${outcome.why}`,
            FHIR_REFERENCE_REFUSED,
          );
        }
        if (outcome.status === 'missing') {
          log.warn({ eventId: input.eventId }, 'notified Appointment not found on the EHR');
          return {
            ok: false,
            problems: [
              { code: 'invalid', diagnostics: 'The notified Appointment is not on the EHR (404/410)' },
            ],
            missing: [reference],
          };
        }
        resource = outcome.resource;
      }
      for (let round = 1; ; round++) {
        const reads = pending.filter((reference) => !attempted.has(reference));
        for (const reference of reads) attempted.add(reference);
        const outcomes = await Promise.all(reads.map((reference) => ehr.reader.read(reference)));
        outcomes.forEach((outcome, index) => {
          const reference = reads[index] ?? '';
          if (outcome.status === 'found') resolved[reference] = outcome.resource;
          else if (outcome.status === 'missing') missing.push(reference);
          else {
            throw ApplicationFailure.nonRetryable(
              `A reference is not readable here: ${outcome.why}`,
              FHIR_REFERENCE_REFUSED,
            );
          }
        });
        const mapped = mapFhirAppointment(withResolvedResources(resource, resolved), {
          defaultCountry: settings.defaultCountry,
          defaultTimezone: settings.defaultTimezone,
          receivedAt: input.receivedAt,
          ehrFhirBaseUrl: ehr.baseUrl,
        });
        const next = (mapped.unresolved?.references ?? []).filter((reference) => !attempted.has(reference));
        if (next.length > 0 && round < MAX_ROUNDS) {
          pending = next;
          continue;
        }
        if (missing.length > 0) {
          // Types only: a reference's id may be a patient's.
          log.warn(
            { appointmentId: input.appointmentId, eventId: input.eventId, missing: missing.map(typeOf) },
            'FHIR references not found on the EHR',
          );
        }
        // The id the 202 named: without meta.versionId the mapper would hash what was read instead.
        // A notified Appointment's id is its version's, read here, so a resent version applies once.
        const eventId = input.resource === undefined && mapped.ok ? mapped.event.eventId : input.eventId;
        return mapped.ok
          ? { ok: true, event: { ...mapped.event, eventId }, missing }
          : { ok: false, problems: mapped.problems, missing };
      }
    },

    async submitResolvedFhirEvent(event: IngestedEvent): Promise<SubmitResult> {
      if (!gateway) throw new Error('No FHIR activity settings on this worker: it cannot hand events over');
      try {
        return await gateway.submit(event);
      } catch (err) {
        if (err instanceof UnknownAppointmentError) {
          throw ApplicationFailure.nonRetryable(err.message, FHIR_UNKNOWN_APPOINTMENT);
        }
        throw err; // Temporal busy or away (TemporalUnavailableError): retried by the activity's policy
      }
    },
  };
}

function typeOf(reference: string): string {
  return /(?:^|\/)([A-Z][A-Za-z]+)\/[^/]+(?:\/_history\/[^/]+)?$/.exec(reference)?.[1] ?? 'unknown';
}
