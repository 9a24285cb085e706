/** The live check of EHR_CALLBACK_URL: the EHR's endpoint answers, without sending it anything signed. */
import { errorText, type LiveCheck } from './runner';

export type EhrCallbackTarget =
  { kind: 'sandbox-receiver' } | { kind: 'not-set' } | { kind: 'url'; url: string; fetchImpl?: typeof fetch };

/** `https://user:pw@host/path?q` → `https://host/path`: what a reason may name. */
export function displayUrl(raw: string): string {
  try {
    const url = new URL(raw);
    return `${url.origin}${url.pathname}`;
  } catch {
    return 'the configured URL';
  }
}

/**
 * EHR_CALLBACK_URL reachable: one OPTIONS request (no body, nothing signed, redirects not followed);
 * any HTTP answer, even 4xx/5xx, proves the address, the TLS and the route to it.
 */
export function ehrCallbackCheck(target: EhrCallbackTarget): LiveCheck {
  return {
    name: 'EHR callback URL reachable',
    async run(signal) {
      if (target.kind === 'sandbox-receiver') {
        return {
          outcome: 'sandbox',
          reason:
            'EHR_CALLBACK_URL unset: replies go to the built-in receiver (GET /v1/sandbox/ehr-callbacks)',
        };
      }
      if (target.kind === 'not-set') {
        return { outcome: 'failed', reason: 'EHR_CALLBACK_URL is not set: patients’ replies go nowhere' };
      }
      const shown = displayUrl(target.url);
      try {
        const res = await (target.fetchImpl ?? fetch)(target.url, {
          method: 'OPTIONS',
          redirect: 'manual',
          signal,
        });
        await res.body?.cancel();
        return { outcome: 'ok', reason: `${shown} answered OPTIONS with HTTP ${res.status}` };
      } catch (err) {
        return { outcome: 'failed', reason: `${shown}: ${errorText(err)}` };
      }
    },
  };
}
