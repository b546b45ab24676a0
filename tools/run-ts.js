// Runs a TypeScript entry point from source: `node tools/run-ts.js FILE.ts [args...]`.
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node tools/run-ts.js FILE.ts [args...]');
  process.exit(2);
}
const result = spawnSync(
  process.execPath,
  ['--conditions=flotilla-source', '-r', path.join(__dirname, 'register.js'), file, ...args],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
