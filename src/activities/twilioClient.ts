/**
 * The Twilio REST client the activities use. With credentials it is the ordinary SDK client; in sandbox mode it is
 * the same SDK client whose HTTP layer sends every `https://*.twilio.com/...` request to the built-in sandbox
 * (src/sandbox/twilioSandbox.ts) instead, so sandbox runs exercise the real SDK's serialisation and errors.
 */
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import type Response from 'twilio/lib/http/response';
import type { AppConfig } from '../config';

export type Twilio = twilio.Twilio;

/** The sandbox's fixed fake account: Twilio's shape (`AC` + 32 hex), never a real account. */
export const SANDBOX_ACCOUNT_SID = `AC${'0'.repeat(32)}`;
/** Sender number in sandbox mode when TWILIO_PHONE_NUMBER is unset (Twilio's "valid From" test number). */
export const SANDBOX_FROM_NUMBER = '+15005550006';
/** Where the sandbox's Twilio REST emulation is mounted in the API. */
export const SANDBOX_TWILIO_PATH = '/sandbox/twilio';

/** Fail a hung HTTP call well before a typical activity start-to-close timeout, so the retry policy takes over. */
const TWILIO_HTTP_TIMEOUT_MS = 15_000;

/** `http://127.0.0.1:3000` → `http://127.0.0.1:3000/sandbox/twilio`. */
export function sandboxTwilioBaseUrl(apiOrigin: string): string {
  return `${apiOrigin.replace(/\/+$/, '')}${SANDBOX_TWILIO_PATH}`;
}

/**
 * Real client with credentials, sandbox-bound client without. `sandboxBaseUrl` is where the sandbox router answers,
 * e.g. `http://127.0.0.1:3000/sandbox/twilio` (see sandboxTwilioBaseUrl); ignored when credentials are set.
 */
export function createTwilioClient(config: AppConfig, sandboxBaseUrl: string): Twilio {
  const { TWILIO_ACCOUNT_SID: accountSid, TWILIO_AUTH_TOKEN: authToken } = config.env;
  if (!config.sandbox && accountSid !== undefined && authToken !== undefined) {
    return twilio(accountSid, authToken, { timeout: TWILIO_HTTP_TIMEOUT_MS });
  }
  return createSandboxTwilioClient(sandboxBaseUrl, config.sandboxTwilioAuthToken);
}

/** A real SDK client whose requests all go to the sandbox at `sandboxBaseUrl`. */
export function createSandboxTwilioClient(
  sandboxBaseUrl: string,
  authToken: string,
  accountSid: string = SANDBOX_ACCOUNT_SID,
): Twilio {
  return twilio(accountSid, authToken, {
    httpClient: new SandboxRequestClient(sandboxBaseUrl),
  });
}

/** The sender options for sendSms from the configuration: the Messaging Service when set, else the number. */
export function twilioSender(config: AppConfig): { from?: string; messagingServiceSid?: string } {
  const from = config.env.TWILIO_PHONE_NUMBER ?? (config.sandbox ? SANDBOX_FROM_NUMBER : undefined);
  const messagingServiceSid = config.env.TWILIO_MESSAGING_SERVICE_SID;
  return {
    ...(from === undefined ? {} : { from }),
    ...(messagingServiceSid === undefined ? {} : { messagingServiceSid }),
  };
}

/**
 * The SDK builds absolute `https://api.twilio.com/...` URIs (also for next pages) and hands them to its
 * `httpClient`; this subclass swaps the origin for the sandbox and leaves everything else (auth, form encoding,
 * response handling) to the SDK's own RequestClient.
 */
export class SandboxRequestClient extends twilio.RequestClient {
  private readonly sandboxBaseUrl: string;

  constructor(sandboxBaseUrl: string) {
    super({ timeout: TWILIO_HTTP_TIMEOUT_MS });
    const base = new URL(sandboxBaseUrl); // fail fast on a malformed base
    this.sandboxBaseUrl = base.href.replace(/\/+$/, '');
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>): Promise<Response<TData>> {
    return super.request({ ...opts, uri: redirectToSandbox(opts.uri, this.sandboxBaseUrl) });
  }
}

/** Rewrites a Twilio API URI onto the sandbox; anything else is refused so a sandbox never reaches the network. */
export function redirectToSandbox(uri: string, sandboxBaseUrl: string): string {
  const url = new URL(uri);
  if (url.hostname !== 'twilio.com' && !url.hostname.endsWith('.twilio.com')) {
    throw new Error(
      `Sandbox Twilio client: refusing a request to ${url.origin}, which is not a Twilio API host`,
    );
  }
  return `${sandboxBaseUrl.replace(/\/+$/, '')}${url.pathname}${url.search}`;
}
