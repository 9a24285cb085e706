/**
 * The configuration page's live checks (src/composition/liveChecks.ts) against real things: the real
 * `twilio` SDK talking to a local HTTP server that answers as Twilio's REST API does, a real local EHR
 * endpoint, the GCS emulator through `@google-cloud/storage`, a real folder, and a real Temporal client
 * with nothing listening. Only the readiness probe (our own interface) is faked, for the worker cases.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { Storage } from '@google-cloud/storage';
import { createSandboxTwilioClient } from '../../src/activities/twilioClient';
import { ehrCallbackCheck } from '../../src/api/admin/checks/ehrCallback';
import { runLiveChecks, type LiveCheck } from '../../src/api/admin/checks/runner';
import { snapshotStoreCheck } from '../../src/api/admin/checks/snapshotStore';
import { temporalChecks, temporalProbe } from '../../src/api/admin/checks/temporal';
import { twilioCheck } from '../../src/api/admin/checks/twilio';
import { liveChecksOf } from '../../src/composition/liveChecks';
import type { Readiness } from '../../src/api/readiness';
import { parseConfig } from '../../src/config';
import { createBucket, startGcsEmulator, type GcsEmulator } from '../../src/temporal/gcsEmulator';
import { freePort } from '../helpers/ports';
import { sandboxEnv } from '../helpers/config';

const ACCOUNT = `AC${'1'.repeat(32)}`;
const TOKEN = 'twilio-token-never-shown-0123456789';
const NUMBER = '+15005550006';
const SERVICE = `MG${'2'.repeat(32)}`;
const INBOUND = 'https://sms.example.org/v1/twilio/inbound';

const servers: http.Server[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

async function listen(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Answers as Twilio's REST API does for the few resources the check reads. */
interface FakeTwilioState {
  accountStatus: string;
  smsUrl: string;
  numbers: string[];
  services: Record<string, { inbound_request_url: string; use_inbound_webhook_on_number: boolean }>;
  requests: string[];
}

function twilioApi(state: FakeTwilioState): http.RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    state.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const expected = `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}`;
    if (req.headers.authorization !== expected) {
      return json(401, { code: 20003, message: 'Authenticate', more_info: '', status: 401 });
    }
    if (url.pathname === `/2010-04-01/Accounts/${ACCOUNT}.json`) {
      return json(200, { sid: ACCOUNT, status: state.accountStatus, friendly_name: 'Test' });
    }
    if (url.pathname === `/2010-04-01/Accounts/${ACCOUNT}/IncomingPhoneNumbers.json`) {
      const wanted = url.searchParams.get('PhoneNumber');
      const found = state.numbers.filter((n) => n === wanted);
      return json(200, {
        incoming_phone_numbers: found.map((n) => ({
          sid: `PN${'3'.repeat(32)}`,
          phone_number: n,
          sms_url: state.smsUrl,
          sms_method: 'POST',
        })),
        page: 0,
        page_size: 1,
        next_page_uri: null,
        uri: url.pathname,
      });
    }
    const service = /^\/v1\/Services\/(MG[0-9a-f]{32})$/.exec(url.pathname)?.[1];
    const found = service ? state.services[service] : undefined;
    if (service && found) return json(200, { sid: service, account_sid: ACCOUNT, ...found });
    json(404, { code: 20404, message: `The requested resource ${url.pathname} was not found`, status: 404 });
  };
}

describe('Twilio credentials and sender, through the real SDK', () => {
  let base: string;
  let state: FakeTwilioState;
  beforeAll(async () => {
    state = { accountStatus: 'active', smsUrl: INBOUND, numbers: [NUMBER], services: {}, requests: [] };
    base = await listen(twilioApi(state));
  });
  beforeEach(() => {
    state.accountStatus = 'active';
    state.smsUrl = INBOUND;
    state.services = {};
    state.requests = [];
  });
  const client = (token = TOKEN) => createSandboxTwilioClient(base, token, ACCOUNT);
  const run = async (check: LiveCheck) => (await runLiveChecks([check], { secrets: [TOKEN] }))[0];

  test('sandbox mode says "sandbox" and asks nobody', async () => {
    expect(await run(twilioCheck({ sandbox: true }))).toMatchObject({ outcome: 'sandbox' });
    expect(state.requests).toEqual([]);
  });

  test('the number found on the account, its webhook pointing here: ok', async () => {
    const result = await run(
      twilioCheck({ client: client(), accountSid: ACCOUNT, phoneNumber: NUMBER, inboundUrl: INBOUND }),
    );
    expect(result).toMatchObject({ outcome: 'ok' });
    expect(result?.reason).toContain(`number ${NUMBER} found`);
    expect(state.requests).toEqual([
      `GET /2010-04-01/Accounts/${ACCOUNT}.json`,
      `GET /2010-04-01/Accounts/${ACCOUNT}/IncomingPhoneNumbers.json?PhoneNumber=%2B15005550006&PageSize=1`,
    ]);
  });

  test('a webhook pointing elsewhere is a warning; an unknown number fails', async () => {
    state.smsUrl = 'https://old.example.org/sms';
    const elsewhere = await run(
      twilioCheck({ client: client(), accountSid: ACCOUNT, phoneNumber: NUMBER, inboundUrl: INBOUND }),
    );
    expect(elsewhere).toMatchObject({ outcome: 'warning' });
    expect(elsewhere?.reason).toContain(INBOUND);
    const unknown = await run(
      twilioCheck({
        client: client(),
        accountSid: ACCOUNT,
        phoneNumber: '+15005550199',
        inboundUrl: INBOUND,
      }),
    );
    expect(unknown).toMatchObject({ outcome: 'failed' });
    expect(unknown?.reason).toContain('+15005550199 is not a number of this account');
  });

  test('a Messaging Service is looked up instead of the number', async () => {
    state.services[SERVICE] = { inbound_request_url: INBOUND, use_inbound_webhook_on_number: false };
    const found = await run(
      twilioCheck({
        client: client(),
        accountSid: ACCOUNT,
        phoneNumber: NUMBER,
        messagingServiceSid: SERVICE,
        inboundUrl: INBOUND,
      }),
    );
    expect(found).toMatchObject({ outcome: 'ok' });
    expect(found?.reason).toContain(`Messaging Service ${SERVICE} found`);
    const other = `MG${'4'.repeat(32)}`;
    const missing = await run(
      twilioCheck({ client: client(), accountSid: ACCOUNT, messagingServiceSid: other, inboundUrl: INBOUND }),
    );
    expect(missing).toMatchObject({ outcome: 'failed' });
    expect(missing?.reason).toMatch(/Twilio 404 \/ 20404: Messaging Service MG4+ not found/);
  });

  test('refused credentials fail without showing the token; a suspended account fails', async () => {
    const wrongToken = 'wrong-token-also-never-shown-987654';
    const refused = (
      await runLiveChecks(
        [
          twilioCheck({
            client: client(wrongToken),
            accountSid: ACCOUNT,
            phoneNumber: NUMBER,
            inboundUrl: INBOUND,
          }),
        ],
        { secrets: [wrongToken] },
      )
    )[0];
    expect(refused).toMatchObject({ outcome: 'failed' });
    expect(refused?.reason).toBe('Twilio 401 / 20003: TWILIO_ACCOUNT_SID / TWILIO_AUTH_TOKEN were refused');
    state.accountStatus = 'suspended';
    const suspended = await run(
      twilioCheck({ client: client(), accountSid: ACCOUNT, phoneNumber: NUMBER, inboundUrl: INBOUND }),
    );
    expect(suspended).toMatchObject({
      outcome: 'failed',
      reason: 'the credentials work, but the account is suspended',
    });
  });
});

describe('EHR callback URL reachable', () => {
  test('any HTTP answer to OPTIONS counts, with no body and no signature sent', async () => {
    const seen: Array<{ method?: string; headers: http.IncomingHttpHeaders; body: string }> = [];
    const base = await listen((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ method: req.method, headers: req.headers, body });
        res.writeHead(405).end();
      });
    });
    const [result] = await runLiveChecks([
      ehrCallbackCheck({ kind: 'url', url: `${base}/sms-replies?token=abc` }),
    ]);
    expect(result).toMatchObject({
      outcome: 'ok',
      reason: `${base}/sms-replies answered OPTIONS with HTTP 405`,
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.method).toBe('OPTIONS');
    expect(seen[0]?.body).toBe('');
    expect(seen[0]?.headers['x-signature']).toBeUndefined();
  });

  test('nothing listening fails with the network error; a silent server times out', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/replies`;
    const [refused] = await runLiveChecks([ehrCallbackCheck({ kind: 'url', url: closed })]);
    expect(refused?.outcome).toBe('failed');
    expect(refused?.reason).toContain('ECONNREFUSED');

    const silent = await listen(() => undefined); // never answers
    const [timedOut] = await runLiveChecks([ehrCallbackCheck({ kind: 'url', url: silent })], {
      timeoutMs: 300,
    });
    expect(timedOut).toMatchObject({ outcome: 'failed', reason: 'no answer within 300 ms' });
  });

  test('the sandbox receiver stands in when EHR_CALLBACK_URL is unset', async () => {
    const [result] = await runLiveChecks([ehrCallbackCheck({ kind: 'sandbox-receiver' })]);
    expect(result?.outcome).toBe('sandbox');
  });
});

describe('Temporal and the worker', () => {
  test('a real client with nothing listening: Temporal fails, the worker is unknown, within the timeout', async () => {
    const client = new Client({ connection: Connection.lazy({ address: `127.0.0.1:${await freePort()}` }) });
    const started = Date.now();
    const results = await runLiveChecks(
      temporalChecks(temporalProbe(client, 'default', 'appointments', 1_000), 'appointments'),
      {
        timeoutMs: 2_000,
      },
    );
    expect(Date.now() - started).toBeLessThan(3_000);
    // The client's own deadline ended the calls (no retries left running after the page).
    expect(results.map((r) => [r.name, r.outcome, r.reason])).toEqual([
      ['Temporal reachable', 'failed', expect.stringContaining('DEADLINE_EXCEEDED')],
      ['Worker polling', 'failed', 'unknown: Temporal is unreachable'],
    ]);
    await client.connection.close();
  });

  test('one readiness probe serves both checks', async () => {
    const answers: Readiness[] = [
      { ready: true, temporal: 'reachable', worker: 'polling' },
      { ready: false, temporal: 'reachable', worker: 'not-polling', detail: 'no worker on task queue q' },
    ];
    for (const answer of answers) {
      let calls = 0;
      const results = await runLiveChecks(
        temporalChecks(async () => {
          calls += 1;
          return answer;
        }, 'q'),
      );
      expect(calls).toBe(1);
      expect(results[0]?.outcome).toBe('ok');
      expect(results[1]?.outcome).toBe(answer.worker === 'polling' ? 'ok' : 'failed');
      expect(results[1]?.reason).toContain('task queue “q”');
    }
  });
});

describe('the runner', () => {
  test('runs checks in parallel, bounds each, never rejects, and scrubs secrets from reasons', async () => {
    const secret = 'super-secret-value-123';
    const checks: LiveCheck[] = [
      { name: 'slow', run: () => new Promise(() => undefined) },
      { name: 'throws', run: () => Promise.reject(new Error(`boom with ${secret} inside`)) },
      { name: 'fine', run: async () => ({ outcome: 'ok', reason: `token ${secret}` }) },
    ];
    const started = Date.now();
    const results = await runLiveChecks(checks, { timeoutMs: 200, secrets: [secret] });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(results.map((r) => [r.name, r.outcome, r.reason])).toEqual([
      ['slow', 'failed', 'no answer within 200 ms'],
      ['throws', 'failed', 'boom with [redacted] inside'],
      ['fine', 'ok', 'token [redacted]'],
    ]);
  });
});

describe('snapshot store writable', () => {
  let emulator: GcsEmulator;
  let storage: Storage;
  beforeAll(async () => {
    emulator = await startGcsEmulator({ port: await freePort() });
    storage = new Storage({
      apiEndpoint: emulator.endpoint,
      projectId: 'test',
      retryOptions: { autoRetry: false },
    });
  });
  afterAll(async () => {
    await emulator?.stop();
  });

  test('GCS: writes and deletes an object under <CUSTOMER_CODE>/healthcheck/', async () => {
    const bucket = `check-${randomUUID().slice(0, 8)}`;
    await createBucket(emulator.endpoint, bucket);
    const [result] = await runLiveChecks([
      snapshotStoreCheck({ kind: 'gcs', storage, bucket, customerCode: 'clinic7' }),
    ]);
    expect(result).toMatchObject({
      outcome: 'ok',
      reason: `wrote and deleted a test object in gs://${bucket}/clinic7/healthcheck/`,
    });
    const [files] = await storage.bucket(bucket).getFiles({ prefix: 'clinic7/' });
    expect(files).toEqual([]);
  });

  test('GCS: a missing bucket fails with its status', async () => {
    const [result] = await runLiveChecks([
      snapshotStoreCheck({ kind: 'gcs', storage, bucket: 'no-such-bucket', customerCode: 'clinic' }),
    ]);
    expect(result?.outcome).toBe('failed');
    expect(result?.reason).toContain('HTTP 404: bucket not found');
  });

  test('files: a writable folder is ok and left clean; a read-only one fails', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'live-check-'));
    try {
      const [ok] = await runLiveChecks([
        snapshotStoreCheck({ kind: 'dir', dir: path.join(dir, 'snapshots') }),
      ]);
      expect(ok?.outcome).toBe('ok');
      expect(readdirSync(path.join(dir, 'snapshots'))).toEqual([]);
      const readOnly = path.join(dir, 'read-only');
      await runLiveChecks([snapshotStoreCheck({ kind: 'dir', dir: readOnly })]);
      chmodSync(readOnly, 0o500);
      const [refused] = await runLiveChecks([snapshotStoreCheck({ kind: 'dir', dir: readOnly })]);
      // root ignores permissions; everyone else is refused.
      if (process.getuid?.() !== 0) {
        expect(refused?.outcome).toBe('failed');
        expect(refused?.reason).toContain('EACCES');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('liveChecksOf a sandbox configuration', () => {
  test('every check answers, none with a secret', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'live-checks-of-'));
    try {
      const config = parseConfig(
        sandboxEnv({
          DATA_DIR: dataDir,
          APPLICATION_PASSWORD: 'a-password-never-shown-123',
          PHONE_ID_KEY: 'k'.repeat(40),
        }),
      );
      const client = new Client({
        connection: Connection.lazy({ address: `127.0.0.1:${await freePort()}` }),
      });
      const results = await liveChecksOf(config, client)().finally(() => client.connection.close());
      expect(results.map((r) => [r.name, r.outcome])).toEqual([
        ['Temporal reachable', 'failed'],
        ['Worker polling', 'failed'],
        ['Twilio credentials and sender', 'sandbox'],
        ['EHR callback URL reachable', 'sandbox'],
        ['Snapshot store writable', 'ok'],
      ]);
      const text = JSON.stringify(results);
      expect(text).not.toContain('a-password-never-shown-123');
      expect(text).not.toContain(config.sandboxTwilioAuthToken);
      expect(text).not.toContain('k'.repeat(40));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
