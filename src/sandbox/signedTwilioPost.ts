/**
 * One webhook request as Twilio sends it (form fields, X-Twilio-Signature, Twilio's User-Agent), shared by the
 * sandbox's simulated inbound texts and its status callbacks so both pass the real webhook validation.
 */
import twilio from 'twilio';

export interface SignedTwilioPost {
  /** Where the request goes. */
  url: string;
  /** The URL Twilio would have called, which the signature covers; default `url`. */
  signedUrl?: string;
  /** The account's auth token, the key of the signature. */
  authToken: string;
  params: Record<string, string>;
  signal: AbortSignal;
}

/** POSTs `params` as a form signed like Twilio signs a webhook (the SDK's own signature code). */
export function postSignedTwilioForm(request: SignedTwilioPost): Promise<Response> {
  const { url, signedUrl = url, authToken, params, signal } = request;
  return fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      'X-Twilio-Signature': twilio.getExpectedTwilioSignature(authToken, signedUrl, params),
      'User-Agent': 'TwilioProxy/1.1',
    },
    body: new URLSearchParams(params),
    signal,
  });
}
