/* global module */
/**
 * `npm run test:cluster`: tests on the cluster profile (a multi-service Temporal server built from
 * go.temporal.io/server, on PostgreSQL). Not part of `npm test`: the first run builds the server.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test/cluster'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  globalSetup: '<rootDir>/test/cluster/globalSetup.ts',
  setupFiles: ['<rootDir>/test/helpers/quietRuntime.ts'],
  // Each file runs a whole cluster and a fleet of service processes: one at a time on 2 cores.
  maxWorkers: 1,
  testTimeout: 20 * 60_000,
};
