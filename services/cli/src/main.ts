import { runCli } from './cli';
import { processIo } from './cli-io';

/** The `flotilla` binary's entry point (bin/flotilla.js runs this, compiled or from source). */
// `flotilla clusters list | head -1` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

void runCli(process.argv.slice(2), processIo()).then((code) => {
  // exitCode rather than exit(): piped output is flushed before the process ends.
  process.exitCode = code;
});
