import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import { FlotillaError, InvalidApplicationError, ValidationError, type ErrorCategory } from '@flotilla/domain';
import {
  InvalidApplicationSpecError,
  parseApplicationSpec,
  valueBoundsIssues,
  type Application,
  type ApplicationSpecIssue,
} from '@flotilla/manifests';
import { durations } from '../durations';

/**
 * Application files are parsed and validated off the event loop: YAML parsing is CPU-heavy
 * (a flat 1 MB file takes seconds), and one request must not stall the hub (its /healthz,
 * its heartbeats, every other request). Before anything is parsed, the text or the JSON
 * body is held to the bounds of @flotilla/manifests' input-bounds (a linear scan, in the
 * worker for text); one worker thread parses, each file within a time and
 * memory budget: a file that takes longer, or exhausts the worker's heap, is refused (400)
 * and the worker replaced. The worker is the hub's own entry script started again
 * (`startApplicationParser(process.argv[1])` in main.ts, whose first lines hand the thread
 * to `runApplicationParserWorker`), so it works from sources, from dist/ and from the
 * single-file bundle of the image alike. A hub built in-process (API tests) parses inline.
 */
const workerRole = 'flotilla-application-parser';

/** 503: the parser is saturated (or stopping); the client retries. */
class ParserUnavailableError extends FlotillaError {
  readonly category: ErrorCategory = 'unavailable';
  constructor(message: string) {
    super('application-parser-unavailable', message);
  }
}

type Job = { id: number; body: string | unknown };
type Answer =
  | { id: number; ok: true; application: Application }
  | { id: number; ok: false; issues: ApplicationSpecIssue[] }
  | { id: number; ok: false; error: string };

const tooComplex = (why: string) =>
  new InvalidApplicationError([{ path: '', message: `the application file could not be parsed ${why}` }]);

function parseOrIssues(id: number, body: string | unknown): Answer {
  try {
    return { id, ok: true, application: parseApplicationSpec(body) };
  } catch (err) {
    if (err instanceof InvalidApplicationSpecError) return { id, ok: false, issues: [...err.issues] };
    return { id, ok: false, error: (err as Error).message };
  }
}

/** The worker's side: true when this thread is an application parser (and now serves as one). */
export function runApplicationParserWorker(): boolean {
  if (isMainThread || (workerData as { role?: string } | null)?.role !== workerRole) return false;
  parentPort!.on('message', (job: Job) => parentPort!.postMessage(parseOrIssues(job.id, job.body)));
  return true;
}

interface Pending {
  job: Job;
  resolve: (application: Application) => void;
  reject: (err: unknown) => void;
}

class WorkerParser {
  private readonly logger = new Logger('ApplicationParser');
  private worker: Worker | undefined;
  private readonly queue: Pending[] = [];
  private current: { pending: Pending; timer: NodeJS.Timeout } | undefined;
  private nextId = 1;
  private stopped = false;

  constructor(private readonly entry: string) {
    this.spawn();
  }

  private spawn(): void {
    const worker = new Worker(this.entry, {
      workerData: { role: workerRole },
      execArgv: process.execArgv,
      resourceLimits: { maxOldGenerationSizeMb: durations.applicationParserHeapMb },
      stdout: false,
      stderr: false,
    });
    worker.unref();
    worker.on('message', (answer: Answer) => this.answered(answer));
    worker.on('error', (err) => this.failed(worker, `(${err.message})`));
    worker.on('exit', () => this.failed(worker, '(the parser stopped)'));
    this.worker = worker;
  }

  parse(body: string | unknown): Promise<Application> {
    if (this.stopped) return Promise.reject(new ParserUnavailableError('the hub is shutting down'));
    if (this.queue.length >= durations.applicationParserQueueMax)
      return Promise.reject(new ParserUnavailableError('too many application files are being parsed; retry shortly'));
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, body }, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.current || this.stopped || !this.worker) return;
    const pending = this.queue.shift();
    if (!pending) return;
    const worker = this.worker;
    const timer = setTimeout(() => {
      this.logger.warn(`an application file took over ${durations.applicationParseTimeoutMs} ms to parse: refused`);
      this.failed(worker, `within ${durations.applicationParseTimeoutMs} ms (the parse time limit)`);
    }, durations.applicationParseTimeoutMs);
    this.current = { pending, timer };
    worker.postMessage(pending.job);
  }

  private answered(answer: Answer): void {
    const current = this.current;
    if (!current || current.pending.job.id !== answer.id) return;
    clearTimeout(current.timer);
    this.current = undefined;
    if (answer.ok) current.pending.resolve(answer.application);
    else if ('issues' in answer) current.pending.reject(new InvalidApplicationError(answer.issues));
    else current.pending.reject(new Error(`parsing the application file failed: ${answer.error}`));
    this.next();
  }

  /** The worker died, ran out of heap or overran the time limit: refuse its file, start another. */
  private failed(worker: Worker, why: string): void {
    if (worker !== this.worker) return;
    this.worker = undefined;
    void worker.terminate();
    const current = this.current;
    this.current = undefined;
    if (current) {
      clearTimeout(current.timer);
      current.pending.reject(tooComplex(why));
    }
    if (this.stopped) return;
    this.spawn();
    this.next();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const pending of this.queue.splice(0)) pending.reject(new ParserUnavailableError('the hub is shutting down'));
    const worker = this.worker;
    this.worker = undefined;
    if (this.current) {
      clearTimeout(this.current.timer);
      this.current.pending.reject(new ParserUnavailableError('the hub is shutting down'));
      this.current = undefined;
    }
    await worker?.terminate();
  }
}

let parser: WorkerParser | undefined;

/** Starts the parser thread from the hub's entry script (main.ts, at start-up). */
export function startApplicationParser(entry: string): void {
  parser ??= new WorkerParser(entry);
}

export async function stopApplicationParser(): Promise<void> {
  await parser?.stop();
  parser = undefined;
}

/**
 * An application file (YAML text or a parsed JSON body) parsed and validated, bounded and off
 * the event loop; InvalidApplicationError (400) when it is not a valid application.
 */
export async function parseApplicationFile(body: string | unknown): Promise<Application> {
  // A parsed JSON body is held to its bounds here (an iterative walk): a deeply nested value
  // never reaches the structured clone that hands it to the worker. YAML text goes to the
  // worker as it is (a copy), where parseApplicationSpec scans its bounds first: even that
  // linear scan of 1 MB stays off the loop.
  if (typeof body !== 'string') {
    const outOfBounds = valueBoundsIssues(body);
    if (outOfBounds) throw new InvalidApplicationError(outOfBounds);
  }
  if (!parser) {
    const answer = parseOrIssues(0, body);
    if (answer.ok) return answer.application;
    if ('issues' in answer) throw new InvalidApplicationError(answer.issues);
    throw new ValidationError(`the application file could not be parsed: ${answer.error}`, 'body');
  }
  return parser.parse(body);
}
