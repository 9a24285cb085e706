/**
 * The Twilio sandbox driven by the real `twilio` SDK over HTTP (no mocks): create, fetch, list, delivery simulation
 * with signed status callbacks, Twilio's error codes and the /v1/sandbox/messages contract. Its message store:
 * sandboxMessageStore.test.ts; the Twilio client: twilioClient.test.ts.
 */
import twilio from 'twilio';
import {
  SANDBOX_ACCOUNT_SID,
  SANDBOX_FROM_NUMBER,
  createSandboxTwilioClient,
  sandboxTwilioBaseUrl,
} from '../../src/activities/twilioClient';
import type { SandboxMessageStore } from '../../src/sandbox/messageStore';
import type { TwilioSandboxRouter } from '../../src/sandbox/twilioSandbox';
import { SANDBOX_TEST_AUTH_TOKEN } from '../helpers/config';
import { freePort } from '../helpers/ports';
import {
  FROM,
  nextNumber,
  startTwilioSandboxServer,
  type ReceivedCallback,
  type TwilioSandboxServer,
} from '../helpers/twilioSandboxServer';

let running: TwilioSandboxServer | undefined;
let store: SandboxMessageStore;
let sandbox: TwilioSandboxRouter;
let origin: string;
let callbackUrl: string;
let client: twilio.Twilio;
let callbacks: ReceivedCallback[];

beforeAll(async () => {
  running = await startTwilioSandboxServer();
  ({ store, sandbox, origin, callbackUrl, client, callbacks } = running);
});

afterAll(() => running?.close());

describe('Twilio sandbox through the real SDK', () => {
  test('a created message is answered in Twilio’s message shape and can be fetched back', async () => {
    const to = nextNumber();
    const created = await client.messages.create({ to, from: FROM, body: 'Hello from the clinic' });

    expect(created.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(created).toMatchObject({
      accountSid: SANDBOX_ACCOUNT_SID,
      to,
      from: FROM,
      body: 'Hello from the clinic',
      status: 'queued',
      direction: 'outbound-api',
      numSegments: '1',
      errorCode: null,
      messagingServiceSid: null,
      apiVersion: '2010-04-01',
      uri: `/2010-04-01/Accounts/${SANDBOX_ACCOUNT_SID}/Messages/${created.sid}.json`,
    });
    expect(created.dateCreated).toBeInstanceOf(Date);
    expect(Math.abs(created.dateCreated.getTime() - Date.now())).toBeLessThan(5_000);

    const fetched = await client.messages(created.sid).fetch();
    expect(fetched).toMatchObject({ sid: created.sid, to, body: 'Hello from the clinic' });
  });

  test('delivery is simulated: sent then delivered, each POSTed to StatusCallback with a valid Twilio signature', async () => {
    const to = nextNumber();
    const created = await client.messages.create({
      to,
      from: FROM,
      body: 'Your visit',
      statusCallback: callbackUrl,
    });
    await sandbox.deliveriesSettled();

    const received = callbacks.filter((callback) => callback.params.MessageSid === created.sid);
    expect(received.map((callback) => callback.params.MessageStatus)).toEqual(['sent', 'delivered']);
    for (const callback of received) {
      expect(callback.params).toMatchObject({ To: to, From: FROM, AccountSid: SANDBOX_ACCOUNT_SID });
      expect(
        twilio.validateRequest(
          SANDBOX_TEST_AUTH_TOKEN,
          callback.signature ?? '',
          callbackUrl,
          callback.params,
        ),
      ).toBe(true);
      expect(
        twilio.validateRequest('wrong-token', callback.signature ?? '', callbackUrl, callback.params),
      ).toBe(false);
    }

    const fetched = await client.messages(created.sid).fetch();
    expect(fetched.status).toBe('delivered');
    expect(fetched.dateSent).toBeInstanceOf(Date);
  });

  test('like Twilio it answers only its account: a wrong token or another account gets 401 / 20003 and sends nothing', async () => {
    const to = nextNumber();
    const wrongToken = createSandboxTwilioClient(sandboxTwilioBaseUrl(origin), 'not-the-sandbox-token');
    const otherAccount = createSandboxTwilioClient(
      sandboxTwilioBaseUrl(origin),
      SANDBOX_TEST_AUTH_TOKEN,
      `AC${'1'.repeat(32)}`,
    );
    for (const intruder of [wrongToken, otherAccount]) {
      await expect(intruder.messages.create({ to, from: FROM, body: 'Not sent' })).rejects.toMatchObject({
        status: 401,
        code: 20003,
      });
      await expect(intruder.messages.list({ to })).rejects.toMatchObject({ status: 401, code: 20003 });
    }
    const unauthenticated = await fetch(
      `${sandboxTwilioBaseUrl(origin)}/2010-04-01/Accounts/${SANDBOX_ACCOUNT_SID}/Messages.json`,
    );
    expect(unauthenticated.status).toBe(401);
    expect(await client.messages.list({ to })).toEqual([]);
  });

  test('a status callback that cannot be reached does not stop delivery', async () => {
    const closedPort = await freePort();
    const created = await client.messages.create({
      to: nextNumber(),
      from: FROM,
      body: 'Nobody listens',
      statusCallback: `http://127.0.0.1:${closedPort}/status`,
    });
    await sandbox.deliveriesSettled();
    expect((await store.get(created.sid))?.status).toBe('delivered');
  });

  test('recipients listed as undeliverable are accepted, then reported undelivered with the carrier error code', async () => {
    const created = await client.messages.create({
      to: '+15005553006',
      from: FROM,
      body: 'To a landline',
      statusCallback: callbackUrl,
    });
    await sandbox.deliveriesSettled();
    const last = callbacks.filter((callback) => callback.params.MessageSid === created.sid).at(-1);
    expect(last?.params).toMatchObject({ MessageStatus: 'undelivered', ErrorCode: '30006' });
    expect((await client.messages(created.sid).fetch()).errorCode).toBe(30006);
  });

  test('sending through a Messaging Service without From is accepted and records the service', async () => {
    const messagingServiceSid = `MG${'a'.repeat(32)}`;
    const created = await client.messages.create({
      to: nextNumber(),
      messagingServiceSid,
      body: 'Via service',
    });
    expect(created).toMatchObject({ status: 'accepted', messagingServiceSid, from: SANDBOX_FROM_NUMBER });
  });

  test.each([
    ['+15005550001', 400, 21211],
    ['+15005550002', 400, 21612],
    ['+15005550003', 400, 21408],
    ['+15005550004', 400, 21610],
    ['+15005550009', 400, 21614],
    ['+15005550429', 429, 20429],
    ['+15005550500', 500, 20500],
    ['+15005550503', 503, 20503],
  ])(
    'magic recipient %s fails with HTTP %i and Twilio code %i and stores nothing',
    async (to, status, code) => {
      const error: unknown = await client.messages
        .create({ to, from: FROM, body: 'x' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(twilio.RestException);
      expect(error).toMatchObject({ status, code, moreInfo: `https://www.twilio.com/docs/errors/${code}` });
      expect(await store.list({ to })).toEqual([]);
    },
  );

  test.each([
    ['+15005550001', 21212],
    ['+15005550007', 21606],
    ['+15005550008', 21611],
  ])('magic sender %s fails with Twilio code %i', async (from, code) => {
    await expect(client.messages.create({ to: nextNumber(), from, body: 'x' })).rejects.toMatchObject({
      status: 400,
      code,
    });
  });

  test('a malformed To is refused as an invalid number (21211)', async () => {
    await expect(client.messages.create({ to: '555-0100', from: FROM, body: 'x' })).rejects.toMatchObject({
      status: 400,
      code: 21211,
    });
  });

  test('a create without To or Body answers Twilio’s error JSON with 21604 / 21602', async () => {
    const post = async (form: Record<string, string>): Promise<{ status: number; body: unknown }> => {
      const response = await fetch(
        `${sandboxTwilioBaseUrl(origin)}/2010-04-01/Accounts/${SANDBOX_ACCOUNT_SID}/Messages.json`,
        {
          method: 'POST',
          headers: {
            'Content-Type': 'application/x-www-form-urlencoded',
            Authorization: `Basic ${Buffer.from(`${SANDBOX_ACCOUNT_SID}:${SANDBOX_TEST_AUTH_TOKEN}`).toString('base64')}`,
          },
          body: new URLSearchParams(form),
        },
      );
      return { status: response.status, body: await response.json() };
    };
    expect(await post({ From: FROM, Body: 'no recipient' })).toEqual({
      status: 400,
      body: {
        code: 21604,
        message: expect.stringContaining("'To'"),
        more_info: 'https://www.twilio.com/docs/errors/21604',
        status: 400,
      },
    });
    expect(await post({ To: nextNumber(), From: FROM })).toMatchObject({
      status: 400,
      body: { code: 21602 },
    });
    expect(await post({ To: nextNumber(), Body: 'no sender' })).toMatchObject({
      status: 400,
      body: { code: 21603 },
    });
  });

  test('fetching an unknown message is a 404 RestException with code 20404', async () => {
    await expect(client.messages(`SM${'f'.repeat(32)}`).fetch()).rejects.toMatchObject({
      status: 404,
      code: 20404,
    });
  });

  test('list filters by To and From and returns the most recent first', async () => {
    const to = nextNumber();
    const otherFrom = '+15005550010';
    const first = await client.messages.create({ to, from: FROM, body: 'one' });
    const second = await client.messages.create({ to, from: otherFrom, body: 'two' });
    await client.messages.create({ to: nextNumber(), from: FROM, body: 'elsewhere' });

    expect((await client.messages.list({ to })).map((m) => m.sid)).toEqual([second.sid, first.sid]);
    expect((await client.messages.list({ to, from: otherFrom })).map((m) => m.sid)).toEqual([second.sid]);
  });

  test('DateSent>, DateSent< and DateSent filter by send date as Twilio does', async () => {
    const to = nextNumber();
    const created = await client.messages.create({ to, from: FROM, body: 'dated' });
    const now = Date.now();
    const today = new Date(now - (now % 86_400_000));
    const sids = async (options: Parameters<typeof client.messages.list>[0]): Promise<string[]> =>
      (await client.messages.list({ to, ...options })).map((m) => m.sid);

    expect(await sids({ dateSentAfter: today })).toEqual([created.sid]);
    expect(await sids({ dateSentAfter: new Date(now + 3_600_000) })).toEqual([]);
    expect(await sids({ dateSentBefore: new Date(now - 3_600_000) })).toEqual([]);
    expect(await sids({ dateSent: today })).toEqual([created.sid]);

    // Date-only values cover whole UTC days, e.g. `DateSent<=<today>` includes all of today.
    const day = today.toISOString().slice(0, 10);
    const response = await fetch(
      `${sandboxTwilioBaseUrl(origin)}/2010-04-01/Accounts/${SANDBOX_ACCOUNT_SID}/Messages.json?` +
        new URLSearchParams({ To: to, 'DateSent<': day }).toString(),
      {
        headers: {
          Authorization: `Basic ${Buffer.from(`${SANDBOX_ACCOUNT_SID}:${SANDBOX_TEST_AUTH_TOKEN}`).toString('base64')}`,
        },
      },
    );
    expect(
      ((await response.json()) as { messages: Array<{ sid: string }> }).messages.map((m) => m.sid),
    ).toEqual([created.sid]);
  });

  test('a list spanning several pages is followed through next_page_uri', async () => {
    const to = nextNumber();
    const created = [];
    for (const body of ['a', 'b', 'c', 'd', 'e'])
      created.push(await client.messages.create({ to, from: FROM, body }));

    const page = await client.messages.page({ to, pageSize: 2 });
    expect(page.instances).toHaveLength(2);
    expect(page.nextPageUrl).toContain('Page=1');

    const all = await client.messages.list({ to, pageSize: 2 });
    expect(all.map((m) => m.sid)).toEqual(created.map((m) => m.sid).reverse());
  });

  test('a list with a limit (the sendSms duplicate check) returns the newest messages to that number', async () => {
    const to = nextNumber();
    for (const body of ['a', 'b', 'c']) await client.messages.create({ to, from: FROM, body });
    await client.messages.create({ to: nextNumber(), from: FROM, body: 'elsewhere' });

    const newest = await client.messages.list({ to, limit: 2 });
    expect(newest.map((m) => m.body)).toEqual(['c', 'b']);
    const lastPage = await client.messages.page({ to, pageSize: 2, pageNumber: 1 });
    expect(lastPage.instances.map((m) => m.body)).toEqual(['a']);
    expect(lastPage.nextPageUrl).toBeUndefined();
  });

  test('GET /v1/sandbox/messages returns {sid,to,from,body,status,createdAt} oldest first', async () => {
    const to = nextNumber();
    const first = await client.messages.create({ to, from: FROM, body: 'first' });
    const second = await client.messages.create({ to, from: FROM, body: 'second' });

    const response = await fetch(`${origin}/v1/sandbox/messages`);
    expect(response.status).toBe(200);
    const messages = (await response.json()) as Array<Record<string, unknown>>;
    for (const message of messages) {
      expect(Object.keys(message).sort()).toEqual(['body', 'createdAt', 'from', 'sid', 'status', 'to']);
    }
    const createdAts = messages.map((message) => Date.parse(String(message.createdAt)));
    expect(createdAts).toEqual([...createdAts].sort((a, b) => a - b));
    const mine = messages.filter((message) => message.to === to);
    expect(mine.map((message) => message.sid)).toEqual([first.sid, second.sid]);
    expect(mine[0]).toMatchObject({ from: FROM, body: 'first' });
  });
});
