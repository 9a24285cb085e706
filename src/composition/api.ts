/**
 * The API's composition: which routers it mounts for a configuration (EHR ingress in three formats,
 * Twilio webhooks, the operator console, the codec server, the sandbox), each given the gateways and
 * settings it needs. Built once per API process by apiServer.ts.
 */
import type { Router } from 'express';
import type { AppConfig } from '../config';
import type { Logger } from '../log';
import { loadTemplates } from '../activities/sms';
import { renderMessage } from '../domain/messages/render';
import { payloadCodecOf } from '../temporal/dataConverter';
import { adminLandingRouter } from '../api/admin/landingPage';
import { requireBearerKey } from '../api/auth';
import { codecServerRouter } from '../api/codecServer';
import { ehrEventsRouter } from '../api/ehrEvents';
import { fhirRouter, type FhirRouterDeps } from '../api/fhir';
import { fhirNotificationsRouter } from '../api/fhirNotifications';
import { hl7Router } from '../api/hl7';
import { openApiRouter } from '../api/openapi';
import { twilioWebhooksRouter, type ConversationPort } from '../api/twilioWebhooks';
import { consolePages, operatorConsoleFor } from './console';
import type { ApiGateways } from './gateways';
import { sandboxWiring } from './sandbox';

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
  const sandbox = config.sandbox ? sandboxWiring(config, logger) : undefined;
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
    ...(sandbox ? sandbox.consolePages(operatorConsole.requireOperator) : []),
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
  if (sandbox) routers.push(sandbox.router);
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
