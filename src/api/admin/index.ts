/**
 * The operator console under /admin (issue 13): server-rendered HTML from Express, because it is a
 * handful of forms and tables that must work without a build step. This module wires the sign-in
 * (operatorConsole.ts) to the configuration and serves the landing page; other console pages mount
 * behind `requireOperator`.
 */
import { Router } from 'express';
import { createTwilioClient, sandboxTwilioBaseUrl } from '../../activities/twilioClient';
import type { AppConfig } from '../../config';
import { sandboxAdminPasswordFile } from '../../config/sandboxSecrets';
import type { Logger } from '../../log';
import { SANDBOX_ADMINISTRATOR_PHONE, SANDBOX_VERIFY_SERVICE_SID } from '../../sandbox/verifySandbox';
import { ADMINISTRATOR_PHONE_PATH } from './administratorPhonePage';
import { html, sendPage } from './html';
import { createOperatorConsole, type OperatorConsole } from './operatorConsole';
import { operatorLayout } from './pageParts';
import {
  APPOINTMENTS_PATH,
  CONFIGURATION_PATH,
  CONSOLE_PATH,
  INTEGRATION_PATH,
  SIMULATION_PATH,
  VIRTUAL_PHONE_PATH,
} from './paths';
import { TwilioVerifySecondFactor } from './secondFactor';

export {
  createOperatorConsole,
  SESSION_COOKIE,
  SIGN_IN_COOKIE,
  type OperatorConsole,
  type OperatorLocals,
} from './operatorConsole';

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

/** GET /admin: the signed-in operator's landing page. Mount after the console's router (it guards /admin). */
export function adminLandingRouter(options: { sandbox: boolean; temporalUiUrl?: string }): Router {
  const sections: Array<[string, string, string]> = [
    [
      'Configuration',
      CONFIGURATION_PATH,
      'Every setting, its source and what is wrong or risky, checked live.',
    ],
    ['Integration', INTEGRATION_PATH, 'What to give the EHR’s integration team and what to set in Twilio.'],
    [
      'Simulation',
      SIMULATION_PATH,
      'Book, reschedule, cancel an appointment and send its next reminder now.',
    ],
    ...(options.sandbox
      ? ([
          ['Virtual phone', VIRTUAL_PHONE_PATH, 'The conversation as the patient sees it; reply from it.'],
        ] as Array<[string, string, string]>)
      : []),
    ['Appointments', APPOINTMENTS_PATH, 'Search appointments and see each one’s timeline.'],
  ];
  const tools: Array<[string, string]> = [
    ['OpenAPI document', '/openapi.json'],
    ['Readiness', '/readyz'],
    ['Codec sign-in (Temporal Web UI payloads)', '/codec/sign-in'],
    ...(options.sandbox
      ? ([
          ['Sandbox: texts sent', '/v1/sandbox/messages'],
          ['Sandbox: EHR callbacks received', '/v1/sandbox/ehr-callbacks'],
        ] as Array<[string, string]>)
      : []),
    ...(options.temporalUiUrl
      ? ([['Temporal Web UI', options.temporalUiUrl]] as Array<[string, string]>)
      : []),
  ];
  return Router().get(CONSOLE_PATH, (_req, res) => {
    const body = html`<p>
        You are signed in${options.sandbox ? ' (sandbox mode: texts stay on this machine)' : ''}.
      </p>
      <nav aria-label="Console sections">
        <ul class="sections">
          ${sections.map(
            ([title, href, text]) =>
              html`<li>
                <h2><a href="${href}">${title}</a></h2>
                <p class="hint">${text}</p>
              </li>`,
          )}
        </ul>
      </nav>
      <h2>Tools</h2>
      <ul>
        ${tools.map(([label, href]) => html`<li><a href="${href}">${label}</a></li>`)}
      </ul>`;
    sendPage(res, 200, operatorLayout(res, 'Operator console', body));
  });
}
