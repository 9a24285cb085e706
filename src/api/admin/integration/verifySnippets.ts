/**
 * Code an EHR team can paste to verify our callbacks' two signatures (Node and Python, standard
 * libraries only); the tests run both against signatures made by src/activities/ehrCallback.ts.
 */
import { SIGNATURE_REPLAY_WINDOW_SECONDS } from '../../../activities/ehrCallback';

/** Verifies both signatures of a callback in Node (Express: `express.raw({ type: 'application/json' })`). */
export const NODE_VERIFY_SNIPPET = `const { createHmac, timingSafeEqual } = require('node:crypto');

function sign(secret, ...parts) {
  const hmac = createHmac('sha256', secret);
  for (const part of parts) hmac.update(part);
  return 'sha256=' + hmac.digest('hex');
}

function same(expected, given) {
  const a = Buffer.from(expected);
  const b = Buffer.from(given ?? '');
  return a.length === b.length && timingSafeEqual(a, b);
}

// rawBody: the request body's bytes exactly as received (a Buffer), before any JSON parsing.
// headers: lower-case names, as Node gives them. secret: EHR_CALLBACK_SECRET.
function verifyCallback(rawBody, headers, secret, nowMs = Date.now()) {
  const timestamp = headers['x-signature-timestamp'] ?? '';
  if (!/^\\d{1,12}$/.test(timestamp)) return false;
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > ${SIGNATURE_REPLAY_WINDOW_SECONDS}) return false; // replayed or clock off
  return (
    same(sign(secret, rawBody), headers['x-signature']) &&
    same(sign(secret, timestamp + '.', rawBody), headers['x-timestamp-signature'])
  );
}
`;

/** The same in Python (standard library only). */
export const PYTHON_VERIFY_SNIPPET = `import hashlib
import hmac
import re
import time


def sign(secret: str, data: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), data, hashlib.sha256).hexdigest()


def verify_callback(raw_body: bytes, headers: dict, secret: str, now=None) -> bool:
    """raw_body: the request body's bytes as received; headers: lower-case names."""
    timestamp = headers.get("x-signature-timestamp", "")
    if not re.fullmatch(r"\\d{1,12}", timestamp):
        return False
    if abs((now if now is not None else time.time()) - int(timestamp)) > ${SIGNATURE_REPLAY_WINDOW_SECONDS}:
        return False  # replayed, or the clocks disagree
    return hmac.compare_digest(
        sign(secret, raw_body), headers.get("x-signature", "")
    ) and hmac.compare_digest(
        sign(secret, timestamp.encode() + b"." + raw_body),
        headers.get("x-timestamp-signature", ""),
    )
`;
