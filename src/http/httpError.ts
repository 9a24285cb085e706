/**
 * An error with an HTTP answer (`{ "error": { "code", "message", "details"? } }`): thrown by the API's routes
 * and the sandbox's alike, turned into the answer by the API's error handler (src/api/errors.ts).
 */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
