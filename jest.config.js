// One Temporal dev server serves the whole run (test/global-setup.ts); test files
// reach it through TEMPORAL_ADDRESS.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': 'ts-jest' },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  // Real servers start inside tests: PostgreSQL clusters, workers, the local RDS.
  testTimeout: 120_000,
  // Two cores: more parallel workers only fight over them.
  maxWorkers: 2,
};
