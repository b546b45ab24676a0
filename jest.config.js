// One Jest run covers every project: pure specs, integration specs against the real
// Postgres/NATS/kube-apiserver, and the multi-process tests under test/.
const fs = require('node:fs');
const swcrc = JSON.parse(fs.readFileSync(`${__dirname}/.swcrc`, 'utf8'));
delete swcrc.$schema;

/**
 * The tiers (`npm run test:unit|test:int|test:e2e` set FLOTILLA_TEST_TIER; unset: all of them):
 * unit = pure `*.spec.ts` beside the code (seconds, no servers); int = `*.int.spec.ts` against the
 * real Postgres, NATS and kube-apiserver; e2e = the multi-process and fault tests under test/.
 */
function tier(name) {
  const ignore = ['/node_modules/', '/dist/'];
  switch (name) {
    case undefined:
    case '':
      return { testMatch: ['<rootDir>/{libs,services,test}/**/*.spec.ts'], testPathIgnorePatterns: ignore };
    case 'unit':
      return {
        testMatch: ['<rootDir>/{libs,services}/**/*.spec.ts'],
        testPathIgnorePatterns: [...ignore, '\\.int\\.spec\\.ts$'],
      };
    case 'int':
      return { testMatch: ['<rootDir>/{libs,services}/**/*.int.spec.ts'], testPathIgnorePatterns: ignore };
    case 'e2e':
      return { testMatch: ['<rootDir>/test/**/*.spec.ts'], testPathIgnorePatterns: ignore };
    default:
      throw new Error(`FLOTILLA_TEST_TIER=${name}: expected unit, int or e2e`);
  }
}

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Workspace packages resolve to their TypeScript sources through this export condition,
  // so tests never depend on a stale dist/.
  testEnvironmentOptions: { customExportConditions: ['flotilla-source', 'node', 'require', 'default'] },
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swcrc, swcrc: false }] },
  ...tier(process.env.FLOTILLA_TEST_TIER),
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Heavy integration tests on a loaded CI machine (load 15-20 on 2 cores) need more than 30 s;
  // tests that wait say what for (eventually(..., 'what')), so a real hang is still named.
  // Test hubs (in-process and spawned) read local git repositories: see the file.
  setupFiles: ['<rootDir>/tools/jest-test-env.js'],
  testTimeout: 60_000,
  maxWorkers: 2,
  verbose: false,
};
