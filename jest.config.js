// Test tiers are named by file: *.unit.test.ts (pure, no I/O) and *.int.test.ts (real servers).
/** @type {import('jest').Config['projects'][number]} */
const shared = {
  rootDir: __dirname,
  roots: ['<rootDir>/packages', '<rootDir>/services', '<rootDir>/infra'],
  testEnvironment: 'node',
  transform: { '^.+\\.(t|mj|j)s$': ['@swc/jest', { jsc: { target: 'es2023' }, module: { type: 'commonjs' } }] },
  // Workspace packages are tested from source; builds are only for running services.
  moduleNameMapper: {
    '^@cqrs-shop/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    // Sources import siblings as './x.js' (Node's resolution for compiled output).
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};

/** @type {import('jest').Config} */
module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['**/*.unit.test.ts'] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: ['**/*.int.test.ts'],
      globalSetup: '<rootDir>/packages/testing/src/global-setup.ts',
      testTimeout: 60_000,
      slowTestThreshold: 20,
    },
  ],
};
