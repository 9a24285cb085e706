/**
 * The layers of src/ point one way (README "Layout"): ESLint's no-restricted-imports rules in
 * eslint.config.mjs refuse an import that points up. Each case lints one import line as if it were
 * written in a file of that layer, so a rule that stops matching fails here, not in review.
 */
import { spawnSync } from 'node:child_process';
import { projectRoot } from '../../src/paths';

interface Probe {
  file: string;
  source: string;
}

// ESLint loads its flat config with a dynamic import, which Jest's VM refuses: lint in a child process.
const LINT_PROBES = `
import { ESLint } from 'eslint';
const probes = JSON.parse(await new Promise((resolve) => {
  let text = '';
  process.stdin.on('data', (chunk) => (text += chunk)).on('end', () => resolve(text));
}));
const eslint = new ESLint({ cwd: process.cwd() });
const out = [];
for (const { file, source } of probes) {
  const [result] = await eslint.lintText(source + '\\nexport const probe = 1;\\n', { filePath: file });
  out.push(result.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports').map((m) => m.message));
}
process.stdout.write(JSON.stringify(out));
`;

/** The no-restricted-imports messages for each probe, in order. */
function restrictedImports(probes: readonly Probe[]): string[][] {
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', LINT_PROBES], {
    cwd: projectRoot,
    input: JSON.stringify(probes),
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`eslint probe failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as string[][];
}

const refused: Array<[string, string, string, RegExp]> = [
  ['domain uses no Temporal', 'src/domain/appointment/probe.ts', "import '@temporalio/workflow';", /is pure/],
  ['domain uses no Express', 'src/domain/probe/deeper/probe.ts', "import 'express';", /is pure/],
  ['domain uses no fs', 'src/domain/hl7/probe.ts', "import 'node:fs';", /is pure/],
  [
    'domain imports no activities',
    'src/domain/fhir/probe.ts',
    "import { createActivities } from '../../activities';",
    /src\/domain may import only from shared/,
  ],
  [
    'shared imports nothing of ours',
    'src/shared/probe.ts',
    "import type { AppointmentStateData } from '../domain/appointment/records';",
    /src\/shared may import only from itself/,
  ],
  [
    'workflows import activities as types only',
    'src/workflows/appointment/probe.ts',
    "import { createActivities } from '../../activities';",
    /as types only/,
  ],
  [
    'activities import nothing from the API',
    'src/activities/snapshots/probe.ts',
    "import { createApp } from '../../api/app';",
    /src\/activities may import only/,
  ],
  [
    'the sandbox imports nothing from the API',
    'src/sandbox/probe.ts',
    "import { createApp } from '../api/app';",
    /src\/sandbox may import only/,
  ],
  [
    'the API does not import composition',
    'src/api/admin/probe.ts',
    "import { apiRouters } from '../../composition/api';",
    /src\/api may import only/,
  ],
  [
    'the API does not import the worker',
    'src/api/probe.ts',
    "import { createWorker } from '../worker';",
    /src\/api may import only/,
  ],
];

const allowed: Array<[string, string, string]> = [
  [
    'domain imports shared',
    'src/domain/appointment/probe.ts',
    "import { EHR_EVENT_TYPES } from '../../shared/appointment';",
  ],
  [
    'workflows import activities types',
    'src/workflows/probe.ts',
    "import type { Activities } from '../activities';",
  ],
  [
    'the API imports domain',
    'src/api/probe.ts',
    "import { parseCanonicalEvent } from '../domain/events/canonicalEvent';",
  ],
  ['composition imports the API', 'src/composition/probe.ts', "import { createApp } from '../api/app';"],
  ['every layer imports the logger', 'src/sandbox/probe.ts', "import { logger } from '../log';"],
];

describe('layers that point one way', () => {
  let answers: string[][] = [];
  beforeAll(() => {
    answers = restrictedImports([...refused, ...allowed].map(([, file, source]) => ({ file, source })));
  });

  test.each(refused.map((row, index) => [...row, index] as const))(
    '%s',
    (_name, _file, _source, message, index) => {
      expect(answers[index]).toHaveLength(1);
      expect(answers[index]?.[0]).toMatch(message);
    },
  );

  test.each(allowed.map((row, index) => [...row, refused.length + index] as const))(
    'allowed: %s',
    (_name, _file, _source, index) => {
      expect(answers[index]).toEqual([]);
    },
  );
});
