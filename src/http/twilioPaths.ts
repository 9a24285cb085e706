/** Where Twilio calls us: our webhooks' paths, which the sandbox's emulation calls as Twilio would. */
export const TWILIO_INBOUND_PATH = '/v1/twilio/inbound';
export const TWILIO_STATUS_PATH = '/v1/twilio/status';
