/**
 * Everything sandbox mode adds to the API, over one message store under DATA_DIR: Twilio's REST and
 * Verify emulations, the virtual phone's listing and inbound texts, the built-in EHR receiver when
 * EHR_CALLBACK_URL is unset (all answering only requests from this machine), and the console's
 * virtual phone pages.
 */
import { Router, type RequestHandler } from 'express';
import { SANDBOX_EHR_CALLBACK_SECRET } from '../activities/ehrCallback';
import { SANDBOX_FROM_NUMBER, twilioSender } from '../activities/twilioClient';
import { administratorPhoneRouter } from '../api/admin/administratorPhonePage';
import { phoneAssetsRouter } from '../api/admin/phoneAssets';
import { virtualPhoneRouter } from '../api/admin/virtualPhonePage';
import type { AppConfig } from '../config';
import { TWILIO_STATUS_PATH } from '../http/twilioPaths';
import type { Logger } from '../log';
import { createEhrCallbackReceiverRouter, EhrCallbackStore } from '../sandbox/ehrCallbackReceiver';
import { loopbackOnly } from '../sandbox/loopbackOnly';
import { SandboxMessageStore } from '../sandbox/messageStore';
import { sandboxInboundRouter, type SandboxInboundDeps } from '../sandbox/sandboxInbound';
import { createSandboxPublicRouter, createTwilioSandboxRouter } from '../sandbox/twilioSandbox';
import {
  createVerifySandboxRouter,
  SANDBOX_ADMINISTRATOR_PHONE,
  SANDBOX_VERIFY_SERVICE_SID,
} from '../sandbox/verifySandbox';
import { consoleSettingsOf } from './console';

export interface SandboxWiring {
  /** The sandbox's routes under /v1/sandbox and /sandbox (loopback only). */
  router: Router;
  /** The console's virtual phone pages, behind the console's guard. */
  consolePages(requireOperator: RequestHandler): Router[];
}

export function sandboxWiring(config: AppConfig, logger: Logger): SandboxWiring {
  const store = SandboxMessageStore.inDataDir(config.dataDir);
  const inbound = sandboxInboundDeps(config, store, logger);
  return {
    router: sandboxRouter(config, store, inbound, logger),
    consolePages: (requireOperator) => [
      virtualPhoneRouter({
        store,
        inbound,
        requireOperator,
        defaultCountry: config.env.DEFAULT_COUNTRY,
        timeZone: config.defaultTimezone,
      }),
      phoneAssetsRouter(),
    ],
  };
}

/** How the sandbox posts a patient's text to our own inbound webhook, signed as Twilio would. */
function sandboxInboundDeps(
  config: AppConfig,
  store: SandboxMessageStore,
  logger: Logger,
): SandboxInboundDeps {
  return {
    store,
    apiOrigin: `http://127.0.0.1:${config.env.PORT}`,
    authToken: config.sandboxTwilioAuthToken,
    publicBaseUrl: config.publicBaseUrl,
    sandboxNumber: twilioSender(config).from ?? SANDBOX_FROM_NUMBER,
    logger,
  };
}

function sandboxRouter(
  config: AppConfig,
  store: SandboxMessageStore,
  inbound: SandboxInboundDeps,
  logger: Logger,
): Router {
  const { env } = config;
  const router = Router();
  router.use(['/v1/sandbox', '/sandbox'], loopbackOnly); // /sandbox/twilio, /sandbox/ehr-callbacks
  // Twilio Verify (the console's sign-in code) under the same prefix, before the Messages emulation 404s the rest.
  router.use(
    createVerifySandboxRouter({
      store,
      authToken: config.sandboxTwilioAuthToken,
      serviceSid: consoleSettingsOf(config).verifyServiceSid ?? SANDBOX_VERIFY_SERVICE_SID,
      logger,
    }),
    // Read-only: the sign-in code before there is a session (loopback only, like all of /sandbox).
    administratorPhoneRouter({
      store,
      administratorPhone: consoleSettingsOf(config).administratorPhone ?? SANDBOX_ADMINISTRATOR_PHONE,
    }),
  );
  router.use(
    createTwilioSandboxRouter({
      store,
      authToken: config.sandboxTwilioAuthToken,
      logger,
      statusCallbackPrefix: `${config.publicBaseUrl}${TWILIO_STATUS_PATH}`,
    }),
    createSandboxPublicRouter(store),
    sandboxInboundRouter(inbound),
  );
  // No EHR configured: replies land in the built-in receiver (GET /v1/sandbox/ehr-callbacks).
  if (!env.EHR_CALLBACK_URL) {
    router.use(
      createEhrCallbackReceiverRouter(EhrCallbackStore.inDataDir(config.dataDir), {
        secret: env.EHR_CALLBACK_SECRET ?? SANDBOX_EHR_CALLBACK_SECRET,
        logger,
      }),
    );
  }
  return router;
}
