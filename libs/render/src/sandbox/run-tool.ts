// Runs one tool (helm, kubectl kustomize) on untrusted input as a child process: never on
// the hub's event loop, in its own process group (a timeout kills whatever it forked), with
// a wall-clock limit, a cap on what it may print, a minimal environment and, where the
// kernel allows it, no network at all (a fresh network namespace: only a loopback that is
// down). Its output is collected as bytes and only decoded once the tool has finished.

import { spawn, spawnSync } from 'node:child_process';

export interface ToolRun {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  /** Run inside a new network namespace (see `networkIsolation`). */
  readonly isolateNetwork: boolean;
  /** Kernel resource limits set with `prlimit` before the tool starts (util-linux). */
  readonly rlimits?: ToolLimits | undefined;
}

export interface ToolLimits {
  /** RLIMIT_AS: the address space the tool may map; beyond it allocations fail and a Go tool dies. */
  readonly addressSpaceBytes?: number | undefined;
  /** RLIMIT_FSIZE: the largest file the tool may write. */
  readonly fileSizeBytes?: number | undefined;
}

function prlimitArgs(limits: ToolLimits | undefined): string[] {
  const args: string[] = [];
  if (limits?.addressSpaceBytes) args.push(`--as=${limits.addressSpaceBytes}`);
  if (limits?.fileSizeBytes) args.push(`--fsize=${limits.fileSizeBytes}`);
  return args.length > 0 ? ['prlimit', ...args, '--'] : [];
}

export type ToolResult =
  | { readonly ok: true; readonly stdout: string; readonly stderr: string }
  | {
      readonly ok: false;
      readonly reason: 'exit' | 'timeout' | 'output-too-large' | 'memory' | 'spawn';
      readonly message: string;
      readonly stderr: string;
    };

/** What is kept of a tool's stderr: its start and its end (a recursion error repeats one line thousands of times). */
const stderrHeadChars = 1_000;
const stderrTailChars = 1_500;

/** A tool's message short enough for an event: its first and last lines, the middle elided. */
function shortenMessage(head: string, tail: string, total: number): string {
  if (total <= head.length) return head;
  return `${head} [... ${total - head.length - tail.length} characters elided ...] ${tail}`;
}

/**
 * Whether this process may put a child in a network namespace of its own (`unshare --net`,
 * through a user namespace so that it also works without root). Probed once at start-up.
 */
export function networkIsolation(): { available: boolean; detail: string } {
  const probe = spawnSync('unshare', ['--net', '--map-root-user', 'true'], { timeout: 5_000, encoding: 'utf8' });
  if (probe.status === 0) return { available: true, detail: 'unshare --net' };
  return { available: false, detail: (probe.error?.message ?? probe.stderr ?? '').trim() || `exit ${probe.status}` };
}

/** What Go's runtime (helm, kubectl) prints when an allocation fails under RLIMIT_AS. */
const outOfMemory =
  /runtime: out of memory|fatal error: (?:runtime: )?out of memory|failed to reserve page summary memory|cannot allocate memory/;

const firstLine = (text: string) => text.split('\n', 1)[0]!.slice(0, 200);

export function runTool(run: ToolRun): Promise<ToolResult> {
  const argv = [
    ...(run.isolateNetwork ? ['unshare', '--net', '--map-root-user', '--'] : []),
    ...prlimitArgs(run.rlimits),
    run.command,
    ...run.args,
  ];
  const [command, ...args] = argv as [string, ...string[]];
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: run.cwd,
      env: run.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that a kill reaches anything it started.
      detached: true,
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let head = '';
    let tail = '';
    let stderrChars = 0;
    let failure: { reason: 'timeout' | 'output-too-large'; message: string } | undefined;
    const kill = (reason: 'timeout' | 'output-too-large', message: string) => {
      if (failure) return;
      failure = { reason, message };
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(
      () => kill('timeout', `stopped after ${run.timeoutMs} ms (the render time limit)`),
      run.timeoutMs,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      if (failure) return;
      stdoutBytes += chunk.length;
      if (stdoutBytes > run.maxOutputBytes) {
        kill(
          'output-too-large',
          `stopped after printing more than ${run.maxOutputBytes} bytes (the render output limit)`,
        );
        return;
      }
      stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      stderrChars += text.length;
      if (head.length < stderrHeadChars) head += text.slice(0, stderrHeadChars - head.length);
      tail = (tail + text).slice(-stderrTailChars);
    });
    const stderrText = () =>
      shortenMessage(head, stderrChars > head.length ? tail.slice(-(stderrChars - head.length)) : '', stderrChars)
        .replace(/\n+Use --debug flag to render out invalid YAML\s*$/, '')
        .trim();
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({
        ok: false,
        reason: 'spawn',
        message: `${run.command} did not start: ${err.message}`,
        stderr: stderrText(),
      });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stderr = stderrText();
      if (failure) return resolve({ ok: false, ...failure, stderr });
      if (code !== 0 && run.rlimits?.addressSpaceBytes && outOfMemory.test(stderr)) {
        const mib = Math.round(run.rlimits.addressSpaceBytes / (1024 * 1024));
        const message = `stopped: it needed more than ${mib} MiB of memory (the render memory limit): ${firstLine(stderr)}`;
        return resolve({ ok: false, reason: 'memory', message, stderr });
      }
      if (code !== 0) {
        const message = stderr || `${run.command} exited with ${code ?? signal}`;
        return resolve({ ok: false, reason: 'exit', message, stderr });
      }
      resolve({ ok: true, stdout: Buffer.concat(stdout).toString('utf8'), stderr });
    });
  });
}

/** At most `limit` tools at a time: the hub shares its cores with its own work. */
export class ToolSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await work();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
