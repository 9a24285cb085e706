/**
 * The URLs an integration engine is given, built from PUBLIC_BASE_URL (and HL7_MLLP_* for MLLP), with
 * a note where the listener would not take the engine's messages as configured.
 */
import type { AppConfig } from '../../../config';
import { FHIR_APPOINTMENT_PATH } from '../../fhir';
import { FHIR_NOTIFICATIONS_PATH } from '../../fhirNotifications';

export interface Endpoint {
  readonly what: string;
  readonly method: string;
  readonly url: string;
  readonly note?: string;
}

/** The URLs an integration engine is given, from PUBLIC_BASE_URL (and HL7_MLLP_* for MLLP). */
export function integrationEndpoints(config: AppConfig): Endpoint[] {
  const base = config.publicBaseUrl;
  const { env } = config;
  const endpoints: Endpoint[] = [
    { what: 'Appointment events (JSON)', method: 'POST', url: `${base}/v1/ehr/events` },
    { what: 'HL7 v2 SIU over HTTP', method: 'POST', url: `${base}/v1/ehr/hl7v2` },
  ];
  if (env.HL7_MLLP_PORT !== undefined) {
    const host = new URL(base).hostname;
    const loopback = ['127.0.0.1', 'localhost', '::1'].includes(env.HL7_MLLP_HOST);
    endpoints.push({
      what: `HL7 v2 SIU over MLLP${env.HL7_MLLP_TLS_CERT_PATH ? ' (TLS)' : ''}`,
      method: 'TCP',
      url: `${host}:${env.HL7_MLLP_PORT}`,
      note: loopback
        ? `listens on ${env.HL7_MLLP_HOST} only: set HL7_MLLP_HOST (and HL7_MLLP_ALLOWED_CLIENTS) for an engine on another host`
        : `listens on ${env.HL7_MLLP_HOST}; ${
            env.HL7_MLLP_ALLOWED_CLIENTS.length > 0
              ? `accepts ${env.HL7_MLLP_ALLOWED_CLIENTS.join(', ')} only`
              : 'accepts any client (set HL7_MLLP_ALLOWED_CLIENTS)'
          }${env.HL7_MLLP_TLS_CLIENT_CA_PATH ? '; client certificate required' : ''}`,
    });
  } else {
    endpoints.push({
      what: 'HL7 v2 SIU over MLLP',
      method: 'TCP',
      url: 'off',
      note: 'set HL7_MLLP_PORT (e.g. 2575) to listen',
    });
  }
  endpoints.push(
    { what: 'FHIR R4 Appointment', method: 'POST', url: `${base}${FHIR_APPOINTMENT_PATH}` },
    {
      what: 'FHIR Subscription notifications',
      method: 'POST',
      url: `${base}${FHIR_NOTIFICATIONS_PATH}`,
      note: `R4 rest-hooks: PUT or POST ${base}${FHIR_NOTIFICATIONS_PATH}/Appointment/{id}`,
    },
    {
      what: 'An appointment’s live state',
      method: 'GET',
      url: `${base}/v1/appointments/{appointment_id}`,
    },
    { what: 'OpenAPI description of all of these', method: 'GET', url: `${base}/openapi.json` },
  );
  return endpoints;
}
