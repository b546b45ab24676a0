// One Jest run covers every project: pure specs, integration specs against the real
// Postgres/NATS/kube-apiserver, and the multi-process tests under test/.
const fs = require('node:fs');
const swcrc = JSON.parse(fs.readFileSync(`${__dirname}/.swcrc`, 'utf8'));
delete swcrc.$schema;

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Workspace packages resolve to their TypeScript sources through this export condition,
  // so tests never depend on a stale dist/.
  testEnvironmentOptions: { customExportConditions: ['flotilla-source', 'node', 'require', 'default'] },
  transform: { '^.+\\.ts$': ['@swc/jest', { ...swcrc, swcrc: false }] },
  testMatch: ['<rootDir>/{libs,services,test}/**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Heavy integration tests on a loaded CI machine (load 15-20 on 2 cores) need more than 30 s;
  // tests that wait say what for (eventually(..., 'what')), so a real hang is still named.
  testTimeout: 60_000,
  maxWorkers: 2,
  verbose: false,
};
