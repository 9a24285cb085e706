// Moved to src/http/security.ts (the sandbox and metrics use it too); kept until the console's imports move.
export * from '../http/security';
