// Test tiers are named by file: *.unit.test.ts (pure, no I/O), *.int.test.ts (real servers) and
// *.e2e.test.ts (real service processes); the last two run in the integration project.
// *.outage.test.ts stop and restart the shared servers themselves, so they run in a project of
// their own, one file at a time, after the others (`npm run test:outage`).
/** @type {import('jest').Config['projects'][number]} */
const shared = {
  rootDir: __dirname,
  roots: ['<rootDir>/packages', '<rootDir>/services', '<rootDir>/tools', '<rootDir>/infra', '<rootDir>/e2e'],
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|mj|j)s$': ['@swc/jest', { jsc: { target: 'es2023' }, module: { type: 'commonjs' } }],
  },
  // Workspace packages are tested from source; builds are only for running services.
  moduleNameMapper: {
    '^@cqrs-shop/cqrs$': '<rootDir>/tools/cqrs/src/index.ts',
    '^@cqrs-shop/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    // Sources import siblings as './x.js' (Node's resolution for compiled output).
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  // jose is published as ES modules only: compiled to CommonJS like the sources.
  transformIgnorePatterns: ['/node_modules/(?!\\.pnpm/jose@|jose/)'],
};

/** @type {import('jest').Config} */
module.exports = {
  // Per test; generous because integration tests wait on real servers (unit tests finish in ms).
  testTimeout: 60_000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['**/*.unit.test.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['**/*.int.test.ts', '**/*.e2e.test.ts'],
      globalSetup: '<rootDir>/packages/testing/src/global-setup.ts',
      slowTestThreshold: 20,
    },
    {
      ...shared,
      displayName: 'outage',
      testMatch: ['**/*.outage.test.ts'],
      globalSetup: '<rootDir>/packages/testing/src/global-setup.ts',
      slowTestThreshold: 60,
    },
  ],
};
