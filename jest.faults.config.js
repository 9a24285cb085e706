/* global module */
/**
 * `npm run test:faults`: the fault suite (test/faults/*.fault.ts), apart from `npm test`. One file, one stack, run
 * alone: each scenario kills processes, and anything else running on the 2 cores would blur its timings.
 * FAULTS_TARGET=cluster runs it on the PostgreSQL cluster profile instead of the dev server.
 */
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/faults'],
  testMatch: ['**/*.fault.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  setupFiles: ['<rootDir>/test/helpers/quietRuntime.ts'],
  maxWorkers: 1,
  testTimeout: 600_000,
};
