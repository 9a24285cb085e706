/**
 * The operator console as the API runs it: the sign-in with Twilio Verify (or the sandbox's
 * emulation of it), and the pages' dependencies built from the configuration (the Temporal client,
 * the gateway, the snapshot store, the live checks). The pages themselves live in api/admin/.
 */
import path from 'node:path';
import { Router, type RequestHandler } from 'express';
import { createSnapshotStore } from '../activities/snapshots';
import { createTwilioClient, sandboxTwilioBaseUrl } from '../activities/twilioClient';
import { ADMINISTRATOR_PHONE_PATH } from '../api/admin/administratorPhonePage';
import { appointmentsRouter, type AppointmentsPageDeps } from '../api/admin/appointmentsPage';
import {
  configurationRouter,
  readDotenvFile,
  type ConfigurationPageDeps,
} from '../api/admin/configurationPage';
import { createOperatorConsole, type OperatorConsole } from '../api/admin/operatorConsole';
import { integrationRouter } from '../api/admin/integrationPage';
import { TwilioVerifySecondFactor } from '../api/admin/secondFactor';
import { simulationRouter } from '../api/admin/simulationPage';
import type { SnapshotStore } from '../activities/snapshots/port';
import type { AppConfig } from '../config';
import { sandboxAdminPasswordFile } from '../config/sandboxSecrets';
import type { Logger } from '../log';
import { projectRoot } from '../paths';
import { SANDBOX_ADMINISTRATOR_PHONE, SANDBOX_VERIFY_SERVICE_SID } from '../sandbox/verifySandbox';
import type { ApiGateways } from './gateways';
import { liveChecksOf } from './liveChecks';

export interface ConsoleSettings {
  password: string | undefined;
  administratorPhone: string | undefined;
  verifyServiceSid: string | undefined;
}

/** The sign-in's settings; sandbox mode fills the phone and Verify service with its own (README "Operator console"). */
export function consoleSettingsOf(config: AppConfig): ConsoleSettings {
  const { env } = config;
  return {
    password: env.APPLICATION_PASSWORD,
    administratorPhone: env.ADMINISTRATOR_PHONE ?? (config.sandbox ? SANDBOX_ADMINISTRATOR_PHONE : undefined),
    verifyServiceSid:
      env.TWILIO_VERIFY_SERVICE_SID ?? (config.sandbox ? SANDBOX_VERIFY_SERVICE_SID : undefined),
  };
}

/** The console for a configuration: Twilio Verify with Twilio's credentials, the sandbox's Verify emulation otherwise. */
export function operatorConsoleFor(config: AppConfig, logger: Logger, now?: () => number): OperatorConsole {
  const settings = consoleSettingsOf(config);
  // The API calls its own sandbox routes over loopback, as sandboxInbound does.
  const client = createTwilioClient(config, sandboxTwilioBaseUrl(`http://127.0.0.1:${config.env.PORT}`));
  return createOperatorConsole({
    password: settings.password,
    administratorPhone: settings.administratorPhone,
    secondFactor: settings.verifyServiceSid
      ? new TwilioVerifySecondFactor(client, settings.verifyServiceSid)
      : undefined,
    sessionLimits: {
      idleMs: config.env.ADMIN_SESSION_IDLE_MINUTES * 60_000,
      maxMs: config.env.ADMIN_SESSION_MAX_HOURS * 3_600_000,
    },
    secureCookies: config.publicBaseUrl.startsWith('https://'),
    logger,
    ...(config.sandbox
      ? {
          passwordHint: `Sandbox mode: the password is in ${sandboxAdminPasswordFile(config)} (unless APPLICATION_PASSWORD is set).`,
          codeHint: `the virtual phone (${settings.administratorPhone ?? ''})`,
          codeLink: { href: ADMINISTRATOR_PHONE_PATH, label: 'Open the administrator’s virtual phone' },
        }
      : {}),
    ...(now ? { now } : {}),
  });
}

/** The configuration page's deps for a running API: process.env, the project's `.env`, live checks through its Temporal client. */
export function configurationPageDepsOf(
  config: AppConfig,
  gateways: Pick<ApiGateways, 'temporal'>,
): ConfigurationPageDeps {
  return {
    config,
    environment: process.env,
    readDotenvFile: () => readDotenvFile(path.join(projectRoot, '.env')),
    liveChecks: liveChecksOf(config, gateways.temporal),
  };
}

/** The appointments pages' deps as the API has them: its client and gateway, the snapshot store. */
export function appointmentsPageDepsOf(
  config: AppConfig,
  gateways: Pick<ApiGateways, 'temporal' | 'appointments'>,
  logger: Logger,
  store?: SnapshotStore,
): AppointmentsPageDeps {
  const { env } = config;
  return {
    client: gateways.temporal,
    namespace: env.TEMPORAL_NAMESPACE,
    timeoutMs: env.TEMPORAL_SUBMIT_TIMEOUT_MS,
    gateway: gateways.appointments,
    ...(config.embeddedTemporal ? { temporalUiUrl: `http://localhost:${env.TEMPORAL_UI_PORT}` } : {}),
    ...(store ? { snapshots: { store, customerCode: env.CUSTOMER_CODE } } : {}),
    logger,
  };
}

/** The console's pages, behind its guard (mounted after the console's own router); sandbox.ts adds the sandbox's. */
export function consolePages(
  config: AppConfig,
  gateways: ApiGateways,
  requireOperator: RequestHandler,
  logger: Logger,
): Router[] {
  const { env } = config;
  return [
    configurationRouter(configurationPageDepsOf(config, gateways)),
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
    appointmentsRouter(appointmentsPageDepsOf(config, gateways, logger, createSnapshotStore(config))),
  ];
}
