// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Layers that point one way (README "Layout"). Each folder of src/ may import from itself and from the folders
 * listed for it, never upwards: `domain` knows no Temporal, Express or fs; workflows see activities as types
 * only; activities and the sandbox know nothing of the API; composition (`composition/`, which builds clients,
 * gateways and the sandbox's wiring, and the process entries main.ts, worker.ts, apiServer.ts) sits on top and
 * nothing imports it. `log`, `paths`, `logRedaction`, `lifecycle` and `ports` are cross-cutting base modules.
 */
const BASE = ['log', 'paths', 'logRedaction', 'lifecycle', 'ports'];
const API_IMPORTS = [
  'shared',
  'domain',
  'config',
  'http',
  'metrics',
  'temporal',
  'ingest',
  'fhir',
  'activities',
  'sandbox',
  ...BASE,
];
const LAYERS = {
  shared: [],
  domain: ['shared'],
  http: ['shared', ...BASE],
  config: ['shared', 'domain', ...BASE],
  metrics: ['shared', 'domain', 'config', 'http', ...BASE],
  temporal: ['shared', 'config', 'metrics', ...BASE],
  ingest: ['shared', 'domain', 'config', 'temporal', 'metrics', ...BASE],
  fhir: ['shared', 'domain', 'config', 'temporal', 'ingest', 'metrics', ...BASE],
  activities: ['shared', 'domain', 'config', 'temporal', 'metrics', 'ingest', 'fhir', ...BASE],
  workflows: ['shared', 'domain', 'metrics'],
  sandbox: ['shared', 'domain', 'config', 'http', 'metrics', 'activities', ...BASE],
  api: API_IMPORTS,
  tools: ['shared', 'domain', 'config', 'temporal', 'ingest', 'activities', ...BASE],
  cluster: ['shared', 'config', 'temporal', ...BASE],
  composition: [...API_IMPORTS, 'api'],
};
/** Imported as types only (`import type`): the workflow contract of workflow functions and activities. */
const TYPES_ONLY = {
  workflows: ['activities'],
  ingest: ['workflows'],
  fhir: ['workflows'],
  activities: ['workflows'],
  api: ['workflows'],
};
const PACKAGES_BANNED = {
  domain: ['@temporalio/*', 'express', 'fs', 'node:fs', 'fs/promises', 'node:fs/promises'],
  shared: ['express', 'fs', 'node:fs', 'fs/promises', 'node:fs/promises'],
};
const escape = (name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** An import leaving `src/<layer>/` from a file `depth` folders below it, for the names given (or any other name). */
const leaving = (depth, names, except) =>
  `^(?:\\.\\./){${depth}}(?!\\.\\./)` +
  (names ? `(?:${names.map(escape).join('|')})(?:/|$)` : `(?!(?:${except.map(escape).join('|')})(?:/|$))`);
const layerRules = Object.entries(LAYERS).flatMap(([layer, allowed]) =>
  [1, 2, 3, 4].map((depth) => {
    const typesOnly = TYPES_ONLY[layer] ?? [];
    const patterns = [
      {
        regex: leaving(depth, undefined, [...allowed, ...typesOnly]),
        message: `src/${layer} may import only from ${allowed.join(', ') || 'itself'} (README "Layout").`,
      },
      ...(typesOnly.length > 0
        ? [
            {
              regex: leaving(depth, typesOnly),
              allowTypeImports: true,
              message: `src/${layer} imports ${typesOnly.join(', ')} as types only (import type).`,
            },
          ]
        : []),
      ...(PACKAGES_BANNED[layer] ?? []).map((name) => ({
        group: [name],
        message: `src/${layer} is pure: no ${name} (README "Layout").`,
      })),
    ];
    return {
      files: [`src/${layer}/${'*/'.repeat(depth - 1)}*.ts`],
      rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns }] },
    };
  }),
);

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tools/', '.data/', 'coverage/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  ...layerRules,
  {
    files: ['scripts/**/*.mjs', '*.mjs', '*.cjs', 'test/**/*.cjs', 'jest.config.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
      },
    },
  },
);
