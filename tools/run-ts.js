// Runs a TypeScript entry point from source: `node tools/run-ts.js FILE.ts [args...]`.
// The child gets the swc register hook and the flotilla-source condition; signals are passed
// on so that Ctrl-C and SIGTERM reach the program's own shutdown handlers.
const { spawn } = require('node:child_process');
const path = require('node:path');

const [file, ...args] = process.argv.slice(2);
if (!file) {
  console.error('usage: node tools/run-ts.js FILE.ts [args...]');
  process.exit(2);
}
const child = spawn(
  process.execPath,
  ['--conditions=flotilla-source', '-r', path.join(__dirname, 'register.js'), file, ...args],
  { stdio: 'inherit' },
);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
