/** Activity factory: clients (Twilio, HTTP, storage) are built once and injected. */
import type { AppConfig } from '../config';

export function createActivities(_config: AppConfig) {
  return {};
}

export type Activities = ReturnType<typeof createActivities>;
