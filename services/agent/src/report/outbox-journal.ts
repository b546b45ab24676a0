import { randomUUID } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { decodeFrames, encodeFrame } from './journal-frame';
import { decodeRecord, encodeRecord, type JournalRecord } from './journal-record';
import { OutboxLockedError, OutboxStorageError } from './outbox.errors';

/**
 * The outbox's files: one journal file at a time (`journal-<generation>.log`) that only
 * grows, and a lock. Appends are batched: every record queued while a write is in progress
 * goes out in the next single write + fdatasync (group commit), and each caller's promise
 * resolves only once its bytes are on disk. Compaction writes the live state into the next
 * generation (temp file, fsync, rename, fsync of the directory) and deletes the old one, so
 * disk use stays near the size of what is still unsent.
 */
const journalFile = /^journal-(\d{10})\.log$/;
const lockFileName = 'outbox.lock';
const privateDirMode = 0o700;
const privateFileMode = 0o600;

/** Directories open in this process; the lock file covers other processes. */
const openDirs = new Set<string>();

export interface ReplayedRecord {
  record: JournalRecord;
  /** Framed size on disk. */
  size: number;
}

export interface JournalSnapshot {
  checkpoint: { ackedSeq: number; nextSeq: number };
  /** Durable unsettled entries, in order, already framed. */
  entries: Buffer[];
}

export interface JournalOptions {
  compactMinBytes: number;
  /** Bytes still live (unsent entries): compaction happens when at most half the file is live. */
  liveBytes: () => number;
  snapshot: () => JournalSnapshot;
}

interface QueuedWrite {
  frames: Buffer[];
  onDurable: (() => void) | undefined;
  resolve: () => void;
  reject: (err: Error) => void;
}

export class OutboxJournal {
  private queue: QueuedWrite[] = [];
  private draining: Promise<void> | undefined;
  /**
   * Cleared by the drain loop itself, synchronously after it finds the queue empty: a flag
   * cleared in a later continuation would let an append slip in between and never be written.
   */
  private writing = false;
  private failure: OutboxStorageError | undefined;
  private closed = false;

  private constructor(
    readonly dir: string,
    private generation: number,
    private handle: FileHandle,
    private size: number,
    private readonly options: JournalOptions,
  ) {}

  /** Bytes of the current journal file. */
  get fileBytes(): number {
    return this.size;
  }

  /**
   * Opens (or creates) the journal in `dir`, drops a torn tail and returns the records to
   * replay. `options` are read lazily, after the caller has replayed.
   */
  static async open(
    dir: string,
    options: JournalOptions,
  ): Promise<{ journal: OutboxJournal; records: ReplayedRecord[]; tornBytes: number; epoch: string }> {
    const resolved = path.resolve(dir);
    if (openDirs.has(resolved))
      throw new OutboxLockedError(`status outbox ${resolved} is already open in this process`);
    openDirs.add(resolved);
    let handle: FileHandle | undefined;
    try {
      // Reports name the cluster's objects: private like the agent's other state (0700/0600),
      // and tightened where an older agent left the directory open.
      await mkdir(resolved, { recursive: true, mode: privateDirMode });
      await chmod(resolved, privateDirMode);
      await takeLock(resolved);
      const names = await readdir(resolved);
      const generations = names
        .map((n) => journalFile.exec(n))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => Number(m[1]))
        .sort((a, b) => a - b);
      // Leftovers of an interrupted compaction: the newest complete generation wins.
      for (const name of names) if (name.endsWith('.tmp')) await unlink(path.join(resolved, name));
      for (const g of generations.slice(0, -1)) await unlink(path.join(resolved, fileName(g)));

      // A fresh journal restarts the sequence at 1, so it gets a fresh epoch: the hub orders a
      // cluster's reports by (epoch, sequence) and must not take the new 1 for an old report.
      const epoch =
        generations.length === 0
          ? await newEpoch(resolved)
          : ((await readEpoch(resolved)) ?? (await newEpoch(resolved)));
      if (generations.length === 0) {
        const generation = 1;
        const first = encodeFrame(encodeRecord({ kind: 'checkpoint', ackedSeq: 0, nextSeq: 1 }));
        await writeDurably(resolved, fileName(generation), [first]);
        handle = await open(path.join(resolved, fileName(generation)), fsConstants.O_RDWR);
        return {
          journal: new OutboxJournal(resolved, generation, handle, first.length, options),
          records: [],
          tornBytes: 0,
          epoch,
        };
      }

      const generation = generations[generations.length - 1]!;
      const file = path.join(resolved, fileName(generation));
      await chmod(file, privateFileMode);
      const data = await readFile(file);
      const { bodies, validBytes, tornBytes } = decodeFrames(data);
      const records: ReplayedRecord[] = bodies.map((body) => ({ record: decodeRecord(body), size: body.length + 8 }));
      handle = await open(file, fsConstants.O_RDWR);
      if (tornBytes > 0) {
        // The tail was being written when the agent died; its writer never got a success.
        await handle.truncate(validBytes);
        await handle.sync();
      }
      return {
        journal: new OutboxJournal(resolved, generation, handle, validBytes, options),
        records,
        tornBytes,
        epoch,
      };
    } catch (err) {
      await handle?.close().catch(() => undefined);
      openDirs.delete(resolved);
      if (err instanceof OutboxLockedError) throw err;
      await unlink(path.join(resolved, lockFileName)).catch(() => undefined);
      throw new OutboxStorageError(`cannot open the status outbox in ${resolved}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  /**
   * Resolves once every frame is written and fsync'd (after all frames queued before it).
   * `onDurable` runs synchronously right after the fsync, before any compaction can take a
   * snapshot: state that depends on durability (an entry is on disk, an ack is) must be
   * applied there, not in a continuation, or a compaction could miss it.
   */
  append(frames: Buffer[], onDurable?: () => void): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new OutboxStorageError('the status outbox journal is closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ frames, onDurable, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        this.draining = this.drain();
      }
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.draining;
    await this.handle.close().catch(() => undefined);
    await unlink(path.join(this.dir, lockFileName)).catch(() => undefined);
    openDirs.delete(this.dir);
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        if (this.failure) {
          for (const w of batch) w.reject(this.failure);
          continue;
        }
        try {
          const data = Buffer.concat(batch.flatMap((w) => w.frames));
          await writeFully(this.handle, data, this.size);
          await this.handle.datasync();
          this.size += data.length;
        } catch (err) {
          this.failure = new OutboxStorageError(`writing the status outbox journal failed: ${(err as Error).message}`, {
            cause: err,
          });
          for (const w of batch) w.reject(this.failure);
          continue;
        }
        for (const w of batch) {
          w.onDurable?.();
          w.resolve();
        }
        if (this.size >= this.options.compactMinBytes && this.options.liveBytes() * 2 <= this.size) {
          try {
            await this.compact();
          } catch (err) {
            // The old generation is intact (the new one was never renamed into place, or was and
            // is complete); but we no longer know which handle is good, so stop writing.
            this.failure = new OutboxStorageError(
              `compacting the status outbox journal failed: ${(err as Error).message}`,
              { cause: err },
            );
          }
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /** Rewrites the live state into the next generation. Runs between batches, so it sees a settled file. */
  private async compact(): Promise<void> {
    const { checkpoint, entries } = this.options.snapshot();
    const frames = [encodeFrame(encodeRecord({ kind: 'checkpoint', ...checkpoint })), ...entries];
    const next = this.generation + 1;
    await writeDurably(this.dir, fileName(next), frames);
    const handle = await open(path.join(this.dir, fileName(next)), fsConstants.O_RDWR);
    const old = this.handle;
    const oldGeneration = this.generation;
    this.handle = handle;
    this.generation = next;
    this.size = frames.reduce((n, f) => n + f.length, 0);
    await old.close();
    await unlink(path.join(this.dir, fileName(oldGeneration)));
  }
}

function fileName(generation: number): string {
  return `journal-${String(generation).padStart(10, '0')}.log`;
}

async function writeFully(handle: FileHandle, data: Buffer, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await handle.write(data, written, data.length - written, position + written);
    written += bytesWritten;
  }
}

/** Temp file, fsync, rename, fsync of the directory: the file appears complete or not at all. */
async function writeDurably(dir: string, name: string, frames: Buffer[]): Promise<void> {
  const tmp = path.join(dir, `${name}.tmp`);
  const handle = await open(tmp, 'w', privateFileMode);
  try {
    await writeFully(handle, Buffer.concat(frames), 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path.join(dir, name));
  await syncDir(dir);
}

const epochFileName = 'epoch';
const epochPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function newEpoch(dir: string): Promise<string> {
  const epoch = randomUUID();
  await writeDurably(dir, epochFileName, [Buffer.from(`${epoch}\n`)]);
  return epoch;
}

async function readEpoch(dir: string): Promise<string | undefined> {
  try {
    const text = (await readFile(path.join(dir, epochFileName), 'utf8')).trim();
    return epochPattern.test(text) ? text : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * A pid file. A stale one (its process is gone, or is us after a container restart where
 * the agent is pid 1 again) is taken over; a live one held by another process refuses.
 */
async function takeLock(dir: string): Promise<void> {
  const file = path.join(dir, lockFileName);
  try {
    await writeFile(file, String(process.pid), { flag: 'wx', mode: privateFileMode });
    return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const holder = Number((await readFile(file, 'utf8')).trim());
  if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
    throw new OutboxLockedError(`status outbox ${dir} is in use by process ${holder}`);
  }
  await writeFile(file, String(process.pid), { mode: privateFileMode });
  await chmod(file, privateFileMode);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
