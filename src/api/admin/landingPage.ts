/**
 * The operator console under /admin (issue 13): server-rendered HTML from Express, because it is a
 * handful of forms and tables that must work without a build step. This module serves the landing page; the
 * sign-in is operatorConsole.ts (wired to the configuration in composition/console.ts), and the other
 * console pages mount behind its `requireOperator`.
 */
import { Router } from 'express';
import { html, sendPage } from './html';
import { operatorLayout } from './pageParts';
import {
  APPOINTMENTS_PATH,
  CONFIGURATION_PATH,
  CONSOLE_PATH,
  INTEGRATION_PATH,
  SIMULATION_PATH,
  VIRTUAL_PHONE_PATH,
} from './paths';

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
