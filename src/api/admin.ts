/**
 * GET /admin: the operator's landing page. The full console (password + second factor, virtual
 * phone, simulation) is a later issue; until then this page links to what exists and holds no PHI.
 */
import { Router } from 'express';

export function adminRouter(options: { sandbox: boolean; temporalUiUrl?: string }): Router {
  const links = [
    ['OpenAPI document', '/openapi.json'],
    ['Readiness', '/readyz'],
    ...(options.sandbox
      ? [
          ['Sandbox: texts sent', '/v1/sandbox/messages'],
          ['Sandbox: EHR callbacks received', '/v1/sandbox/ehr-callbacks'],
        ]
      : []),
    ...(options.temporalUiUrl ? [['Temporal Web UI', options.temporalUiUrl]] : []),
  ];
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Appointment messaging</title></head>
<body><h1>Appointment messaging</h1><p>The admin console (sign-in with a second factor) is not built yet.</p>
<ul>${links.map(([label, href]) => `<li><a href="${href}">${label}</a></li>`).join('')}</ul></body></html>`;
  return Router().get('/admin', (_req, res) => {
    res.type('html').send(page);
  });
}
