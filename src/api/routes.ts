/** Which routers the API mounts for a configuration: EHR ingress, Twilio webhooks, the sandbox. */
import type { Client } from '@temporalio/client';
import { Router, type RequestHandler } from 'express';
import { createSnapshotStore } from '../activities/snapshots';
import { appointmentsPageDepsOf, appointmentsRouter } from './admin/appointmentsPage';
import { configurationPageDepsOf, configurationRouter } from './admin/configurationPage';
import { integrationRouter } from './admin/integrationPage';
import { phoneAssetsRouter } from './admin/phoneAssets';
import { simulationRouter } from './admin/simulationPage';
import { virtualPhoneRouter } from './admin/virtualPhonePage';
import { SANDBOX_FROM_NUMBER, twilioSender } from '../activities/twilioClient';
import type { AppConfig } from '../config';
import { appointmentPolicy } from '../config/policy';
import { AppointmentGateway } from '../ingest/appointmentGateway';
import { ConversationGateway } from '../ingest/conversationGateway';
import type { Logger } from '../log';
import { createEhrCallbackReceiverRouter, EhrCallbackStore } from '../sandbox/ehrCallbackReceiver';
import { SANDBOX_EHR_CALLBACK_SECRET } from '../activities/ehrCallback';
import { loopbackOnly } from '../sandbox/loopbackOnly';
import { SandboxMessageStore } from '../sandbox/messageStore';
import { sandboxInboundRouter, type SandboxInboundDeps } from '../sandbox/sandboxInbound';
import { createSandboxPublicRouter, createTwilioSandboxRouter } from '../sandbox/twilioSandbox';
import {
  createVerifySandboxRouter,
  SANDBOX_ADMINISTRATOR_PHONE,
  SANDBOX_VERIFY_SERVICE_SID,
} from '../sandbox/verifySandbox';
import { administratorPhoneRouter } from './admin/administratorPhonePage';
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
  /** The API's Temporal client: visibility for the console's searches and live checks. */
  temporal: Client;
  appointments: AppointmentGateway;
  conversations: ConversationGateway;
  /** With FHIR_BASE_URL: starts the workflow that reads a FHIR Appointment's references from the EHR. */
  fhirIngest?: FhirIngestStarter;
}

export function createGateways(config: AppConfig, client: Client): ApiGateways {
  const policy = appointmentPolicy(config);
  return {
    temporal: client,
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
  const port: ConversationPort = gateways.conversations;
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
    ...consolePages(config, gateways, operatorConsole.requireOperator, logger),
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

/** The console's pages, behind its guard (mounted after operatorConsole.router). */
function consolePages(
  config: AppConfig,
  gateways: ApiGateways,
  requireOperator: RequestHandler,
  logger: Logger,
): Router[] {
  const { env } = config;
  const pages = [
    configurationRouter(configurationPageDepsOf(config, gateways.temporal)),
    integrationRouter({ config }),
    simulationRouter({
      gateway: gateways.appointments,
      requireOperator,
      defaultCountry: env.DEFAULT_COUNTRY,
      timeZone: config.defaultTimezone,
      virtualPhone: config.sandbox,
      visibility: gateways.temporal,
      logger,
    }),
    appointmentsRouter({
      ...appointmentsPageDepsOf(config, gateways.temporal, logger, createSnapshotStore(config)),
      gateway: gateways.appointments,
    }),
  ];
  if (!config.sandbox) return pages;
  const store = SandboxMessageStore.inDataDir(config.dataDir);
  return [
    ...pages,
    virtualPhoneRouter({
      store,
      inbound: sandboxInboundDeps(config, store, logger),
      requireOperator,
      defaultCountry: env.DEFAULT_COUNTRY,
      timeZone: config.defaultTimezone,
    }),
    phoneAssetsRouter(),
  ];
}

/** How the sandbox posts a patient's text to our own inbound webhook, signed as Twilio would. */
function sandboxInboundDeps(
  config: AppConfig,
  store: SandboxMessageStore,
  logger: Logger,
): SandboxInboundDeps {
  return {
    store,
    apiOrigin: `http://127.0.0.1:${config.env.PORT}`,
    authToken: config.sandboxTwilioAuthToken,
    publicBaseUrl: config.publicBaseUrl,
    sandboxNumber: twilioSender(config).from ?? SANDBOX_FROM_NUMBER,
    logger,
  };
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
    // Read-only: the sign-in code before there is a session (loopback only, like all of /sandbox).
    administratorPhoneRouter({
      store,
      administratorPhone: consoleSettingsOf(config).administratorPhone ?? SANDBOX_ADMINISTRATOR_PHONE,
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
    sandboxInboundRouter(sandboxInboundDeps(config, store, logger)),
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
