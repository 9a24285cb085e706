/**
 * `npm run replay` (issue 14.3) as an operator runs it: workflows fetched from the dev server by id
 * and by visibility query, through the payload codec, replay "ok"; a history file whose recorded
 * activity no longer matches the code fails with the event where it diverged, and the exit code says so.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import { projectRoot } from '../../src/paths';
import { appointmentWorkflowId } from '../../src/shared/appointment';
import { newCodecKeyEntry } from '../../src/config/codecKeys';
import { waitFor } from '../helpers/processes';
import { startSandboxStack, type SandboxStack } from '../helpers/sandboxStack';

jest.setTimeout(180_000);

const KEYS = newCodecKeyEntry('replay');
const FIXTURE = path.join(
  projectRoot,
  'test/fixtures/histories/appointmentLifecycle/booked-reminded-completed.json',
);
let stack: SandboxStack;

beforeAll(async () => {
  stack = await startSandboxStack('replay', { PAYLOAD_CODEC_KEYS: KEYS });
});

afterAll(async () => {
  await stack?.stop();
});

function replay(args: string[], env: Record<string, string> = {}): { code: number | null; out: string } {
  const result = spawnSync(
    path.join(projectRoot, 'node_modules', '.bin', 'tsx'),
    ['src/tools/replay.ts', ...args],
    {
      cwd: projectRoot,
      encoding: 'utf8',
      timeout: 120_000,
      env: {
        ...process.env,
        SANDBOX_MODE: 'true',
        DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 'replay-cli-')),
        TEMPORAL_ADDRESS: stack.env.address,
        TEMPORAL_NAMESPACE: stack.config.env.TEMPORAL_NAMESPACE,
        PAYLOAD_CODEC_KEYS: KEYS,
        LOG_LEVEL: 'silent',
        ...env,
      },
    },
  );
  return { code: result.status, out: `${result.stdout}${result.stderr}` };
}

/** The fixture with its first local activity marker renamed: the code schedules another activity there. */
function brokenHistoryFile(): string {
  const history = JSON.parse(readFileSync(FIXTURE, 'utf8')) as {
    events: Array<{
      eventId: string;
      markerRecordedEventAttributes?: { details: { data: { payloads: Array<{ data: string }> } } };
    }>;
  };
  const marker = history.events.find((e) => e.markerRecordedEventAttributes);
  const payload = marker?.markerRecordedEventAttributes?.details.data.payloads[0];
  if (!marker || !payload) throw new Error('the fixture has no local activity marker');
  const data = JSON.parse(Buffer.from(payload.data, 'base64').toString('utf8')) as Record<string, unknown>;
  payload.data = Buffer.from(JSON.stringify({ ...data, activity_type: 'renamedActivity' })).toString(
    'base64',
  );
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'replay-broken-')), 'broken.json');
  writeFileSync(file, JSON.stringify(history));
  return file;
}

describe('npm run replay', () => {
  test('a booking on the dev server replays ok by id and by query, decoded through the codec', async () => {
    const appointmentId = `REPLAY-${Date.now()}`;
    const start = DateTime.now().setZone('America/Denver').plus({ days: 3 }).set({ hour: 10, minute: 0 });
    const posted = await fetch(`${stack.base}/v1/ehr/events`, {
      method: 'POST',
      headers: { Authorization: 'Bearer sandbox-key', 'Content-Type': 'application/json' },
      body: JSON.stringify({
        event_type: 'BOOKED',
        appointment_id: appointmentId,
        appointment_datetime: start.toFormat("yyyy-MM-dd'T'HH:mm:ss"),
        appointment_timezone: 'America/Denver',
        patient_id: 'P-REPLAY',
        patient_phone: '+13035550177',
      }),
    });
    expect(posted.status).toBe(202);
    const workflowId = appointmentWorkflowId(appointmentId);
    await waitFor(async () => {
      const res = await fetch(`${stack.base}/v1/appointments/${appointmentId}`, {
        headers: { Authorization: 'Bearer sandbox-key' },
      });
      const view =
        res.status === 200 ? ((await res.json()) as { messages: Array<{ sid: string | null }> }) : undefined;
      return view?.messages.some((m) => m.sid) ? true : undefined;
    });

    const byId = replay(['--workflow-id', workflowId]);
    expect(byId.out).toContain(`ok    ${workflowId}`);
    expect(byId.code).toBe(0);

    const byQuery = replay(['--query', `AppointmentId = "${appointmentId}"`]);
    expect(byQuery.out).toContain(`ok    ${workflowId}`);
    expect(byQuery.code).toBe(0);

    // Without the keys the payloads cannot be read: replay says so instead of passing.
    const withoutKeys = replay(['--workflow-id', workflowId], {
      PAYLOAD_CODEC_KEYS: newCodecKeyEntry('other'),
    });
    expect(withoutKeys.code).toBe(1);
    expect(withoutKeys.out).toContain(`FAIL  ${workflowId}`);
  });

  test('a history that no longer matches the code fails with the event where it diverged', () => {
    const result = replay([
      '--file',
      brokenHistoryFile(),
      '--file',
      FIXTURE,
      '--file',
      '/nonexistent/history.json',
    ]);
    expect(result.out).toMatch(
      /FAIL {2}broken\.json \(diverged at event 6\): .*Nondeterminism error: .*renamedActivity/,
    );
    expect(result.out).toContain('ok    booked-reminded-completed.json');
    expect(result.out).toContain('FAIL  history.json: cannot be read (ENOENT)');
    expect(result.out).toContain('1 ok, 2 failed');
    expect(result.code).toBe(1);
  });

  test('--help prints the usage (exit 0); no source or a bad option is exit 2', () => {
    expect(replay(['--help'])).toMatchObject({
      code: 0,
      out: expect.stringContaining('Usage: npm run replay'),
    });
    expect(replay([])).toMatchObject({ code: 2, out: expect.stringContaining('nothing to replay') });
    expect(replay(['--nope'])).toMatchObject({ code: 2 });
  });
});
