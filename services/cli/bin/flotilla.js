#!/usr/bin/env node
// The `flotilla` binary. Runs the compiled CLI (dist/main.js, from `npm run build`) when it
// exists; in a checkout without a build it runs the TypeScript sources through the repo's
// swc hook, with the flotilla-source condition, in a child node whose exit code and
// signals are passed through.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const compiled = path.join(__dirname, '..', 'dist', 'main.js');
if (fs.existsSync(compiled)) {
  require(compiled);
} else {
  const { spawn } = require('node:child_process');
  const root = path.join(__dirname, '..', '..', '..');
  const child = spawn(
    process.execPath,
    [
      '--conditions=flotilla-source',
      '-r',
      path.join(root, 'tools', 'register.js'),
      path.join(__dirname, '..', 'src', 'main.ts'),
      ...process.argv.slice(2),
    ],
    { stdio: 'inherit' },
  );
  const forward = (signal) => () => child.kill(signal);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward(signal));
  child.on('error', (err) => {
    process.stderr.write(`flotilla: cannot start ${process.execPath}: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      // Die of the same signal, so a shell sees what the user saw (e.g. 130 for Ctrl-C).
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    process.exit(code ?? 1);
  });
}
