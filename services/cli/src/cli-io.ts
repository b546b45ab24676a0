import type { FetchFn } from './hub/hub-client';

/**
 * Everything the CLI touches outside itself, so commands run in-process in tests with
 * captured output, a fixed clock and any environment.
 */
export interface CliOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  /** Terminal width; undefined when piped. */
  columns?: number;
}

export interface CliInput extends AsyncIterable<string | Buffer> {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  on(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  removeListener(event: 'data', listener: (chunk: Buffer | string) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface CliIo {
  stdout: CliOutput;
  stderr: CliOutput;
  stdin: CliInput;
  env: NodeJS.ProcessEnv;
  now(): Date;
  fetch?: FetchFn;
}

export function processIo(): CliIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    now: () => new Date(),
  };
}
