/** Which routers the API mounts for a configuration: EHR ingress, Twilio webhooks, the sandbox. */
import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { SANDBOX_FROM_NUMBER, twilioSender } from '../activities/twilioClient';
import type { AppConfig } from '../config';
import { appointmentPolicy } from '../config/policy';
import { AppointmentGateway } from '../ingest/appointmentGateway';
import { ConversationGateway } from '../ingest/conversationGateway';
import type { Logger } from '../log';
import {
  createEhrCallbackReceiverRouter,
  EhrCallbackStore,
  SANDBOX_EHR_CALLBACK_SECRET,
} from '../sandbox/ehrCallbackReceiver';
import { loopbackOnly } from '../sandbox/loopbackOnly';
import { SandboxMessageStore } from '../sandbox/messageStore';
import { sandboxInboundRouter } from '../sandbox/sandboxInbound';
import { createSandboxPublicRouter, createTwilioSandboxRouter } from '../sandbox/twilioSandbox';
import { createVerifySandboxRouter, SANDBOX_VERIFY_SERVICE_SID } from '../sandbox/verifySandbox';
import { adminLandingRouter, consoleSettingsOf, operatorConsoleFor } from './admin';
import { loadTemplates } from '../activities/sms';
import { renderMessage } from '../domain/messages/render';
import { codecServerRouter } from './codecServer';
import { payloadCodecOf } from '../temporal/dataConverter';
import { requireBearerKey } from './auth';
import { ehrEventsRouter } from './ehrEvents';
import { FhirIngestStarter } from '../fhir/ingestStarter';
import { fhirRouter, type FhirRouterDeps } from './fhir';
import { fhirNotificationsRouter } from './fhirNotifications';
import { hl7Router } from './hl7';
import { openApiRouter } from './openapi';
import { twilioWebhooksRouter, type ConversationPort } from './twilioWebhooks';

export interface ApiGateways {
  appointments: AppointmentGateway;
  conversations: ConversationGateway;
  /** With FHIR_BASE_URL: starts the workflow that reads a FHIR Appointment's references from the EHR. */
  fhirIngest?: FhirIngestStarter;
}

export function createGateways(config: AppConfig, client: Client): ApiGateways {
  const policy = appointmentPolicy(config);
  return {
    appointments: new AppointmentGateway(client, config.env.TEMPORAL_TASK_QUEUE, () => policy, {
      submitTimeoutMs: config.env.TEMPORAL_SUBMIT_TIMEOUT_MS,
    }),
    conversations: new ConversationGateway(client, config.env.TEMPORAL_TASK_QUEUE, config.phoneIdKey),
    ...(config.fhir
      ? {
          fhirIngest: new FhirIngestStarter(
            client,
            config.env.TEMPORAL_TASK_QUEUE,
            config.env.TEMPORAL_SUBMIT_TIMEOUT_MS,
          ),
        }
      : {}),
  };
}

export function apiRouters(
  config: AppConfig,
  gateways: ApiGateways,
  logger: Logger,
  // Tests move the operator console's clock (session expiry, lock-outs).
  options: { now?: () => number } = {},
): Router[] {
  const { env } = config;
  const operatorConsole = operatorConsoleFor(config, logger, options.now);
  const auth = requireBearerKey(config.ehrApiKeys);
  // The sandbox signs its webhooks with its own token, as Twilio signs with the account's.
  const twilioAuthToken = config.sandbox ? config.sandboxTwilioAuthToken : (env.TWILIO_AUTH_TOKEN ?? '');
  const port: ConversationPort = {
    deliverInbound: (sms) => gateways.conversations.deliverInbound(sms),
    deliverStatus: async (status) => {
      await gateways.conversations.deliverStatus(status);
    },
  };
  const fhirDeps: FhirRouterDeps = {
    gateway: gateways.appointments,
    auth,
    defaultCountry: env.DEFAULT_COUNTRY,
    defaultTimezone: config.defaultTimezone,
    ...(config.fhir && gateways.fhirIngest
      ? { references: { ehrFhirBaseUrl: config.fhir.baseUrl, ingest: gateways.fhirIngest } }
      : {}),
    logger,
  };
  const routers: Router[] = [
    openApiRouter(),
    // The console's sign-in and its guard over everything under /admin, then its pages.
    operatorConsole.router,
    adminLandingRouter({
      sandbox: config.sandbox,
      ...(config.embeddedTemporal ? { temporalUiUrl: `http://localhost:${env.TEMPORAL_UI_PORT}` } : {}),
    }),
    ehrEventsRouter({ gateway: gateways.appointments, defaultCountry: env.DEFAULT_COUNTRY, auth }),
    hl7Router({
      gateway: gateways.appointments,
      auth,
      defaultCountry: env.DEFAULT_COUNTRY,
      defaultTimezone: config.defaultTimezone,
      textTestMessages: env.HL7_TEXT_TEST_MESSAGES === 'true',
      logger,
    }),
    // Before fhirRouter: its error handler answers for everything under /v1/ehr/fhir.
    fhirNotificationsRouter(fhirDeps),
    fhirRouter(fhirDeps),
    twilioWebhooksRouter({
      port,
      authToken: twilioAuthToken,
      publicBaseUrl: config.publicBaseUrl,
      logger,
      mediaOnlyAnswer: renderMessage(
        'MEDIA_NOT_SUPPORTED',
        { customerName: env.CUSTOMER_NAME },
        loadTemplates(env.MESSAGE_TEMPLATES_FILE),
      ).body,
    }),
  ];
  if (config.sandbox) routers.push(sandboxRouter(config, logger));
  const codec = payloadCodecOf(config);
  if (codec) {
    routers.push(
      codecServerRouter({
        codec,
        operatorToken: env.OPERATOR_TOKEN,
        allowedOrigins: config.codecCorsOrigins,
        secureCookies: config.publicBaseUrl.startsWith('https://'),
        logger,
        isOperator: (req) => operatorConsole.isOperator(req),
      }),
    );
  }
  return routers;
}

/**
 * Everything sandbox mode adds (Twilio's REST emulation, the virtual phone's listing and inbound texts,
 * the built-in EHR receiver when EHR_CALLBACK_URL is unset), answering only requests from this machine.
 */
function sandboxRouter(config: AppConfig, logger: Logger): Router {
  const { env } = config;
  const store = SandboxMessageStore.inDataDir(config.dataDir);
  const router = Router();
  router.use(['/v1/sandbox', '/sandbox'], loopbackOnly); // /sandbox/twilio, /sandbox/ehr-callbacks
  // Twilio Verify (the console's sign-in code) under the same prefix, before the Messages emulation 404s the rest.
  router.use(
    createVerifySandboxRouter({
      store,
      authToken: config.sandboxTwilioAuthToken,
      serviceSid: consoleSettingsOf(config).verifyServiceSid ?? SANDBOX_VERIFY_SERVICE_SID,
      logger,
    }),
  );
  router.use(
    createTwilioSandboxRouter({
      store,
      authToken: config.sandboxTwilioAuthToken,
      logger,
      statusCallbackPrefix: `${config.publicBaseUrl}/v1/twilio/status`,
    }),
    createSandboxPublicRouter(store),
    sandboxInboundRouter({
      store,
      apiOrigin: `http://127.0.0.1:${env.PORT}`,
      authToken: config.sandboxTwilioAuthToken,
      publicBaseUrl: config.publicBaseUrl,
      sandboxNumber: twilioSender(config).from ?? SANDBOX_FROM_NUMBER,
      logger,
    }),
  );
  // No EHR configured: replies land in the built-in receiver (GET /v1/sandbox/ehr-callbacks).
  if (!env.EHR_CALLBACK_URL) {
    router.use(
      createEhrCallbackReceiverRouter(EhrCallbackStore.inDataDir(config.dataDir), {
        secret: env.EHR_CALLBACK_SECRET ?? SANDBOX_EHR_CALLBACK_SECRET,
        logger,
      }),
    );
  }
  return router;
}
