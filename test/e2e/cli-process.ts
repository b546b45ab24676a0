import { spawn } from 'node:child_process';
import path from 'node:path';

/**
 * The real `flotilla` binary as a child process, in a clean environment (no NODE_OPTIONS from
 * Jest, no FLOTILLA_* of the caller): what a user types, its output and exit code.
 */
const root = path.resolve(__dirname, '../..');
const bin = path.join(root, 'services/cli/bin/flotilla.js');
const cliTimeoutMs = 120_000;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function flotilla(args: string[], env: Record<string, string>, stdin = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`flotilla ${args.join(' ')} did not finish within ${cliTimeoutMs} ms:\n${stdout}\n${stderr}`));
    }, cliTimeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}
