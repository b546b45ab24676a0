import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { AssignedPolicy } from './desired-state-feed';
import { ReconcileStateError } from './reconcile.errors';

/** What the agent remembers of an application it has run, across restarts. */
export interface KnownApplication {
  revision: number;
  commit: string;
  bundleDigest: string;
  /** The last policy it was synced with: decides whether an unassignment prunes. */
  policy: AssignedPolicy;
}

interface StateFile {
  version: 1;
  applications: Record<string, KnownApplication>;
}

/**
 * The applications this agent runs, in a small JSON file in its state directory. The cluster
 * holds the inventories, but not the policy: after a restart, an application unassigned
 * meanwhile must still be pruned when its last policy said so. Written whole, fsync'd and
 * renamed into place, so a crash leaves the old file or the new one, never a torn one.
 */
export class ReconcileStateStore {
  readonly file: string;

  constructor(dir: string) {
    this.file = path.join(dir, 'reconcile-state.json');
  }

  async load(): Promise<Map<string, KnownApplication>> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw new ReconcileStateError(`cannot read ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    try {
      const parsed = JSON.parse(text) as StateFile;
      if (parsed.version !== 1 || typeof parsed.applications !== 'object' || parsed.applications === null)
        throw new Error(`unknown format (version ${String(parsed.version)})`);
      return new Map(Object.entries(parsed.applications));
    } catch (err) {
      throw new ReconcileStateError(`cannot parse ${this.file}: ${(err as Error).message}`, { cause: err });
    }
  }

  async save(applications: ReadonlyMap<string, KnownApplication>): Promise<void> {
    const body: StateFile = { version: 1, applications: Object.fromEntries(applications) };
    const tmp = `${this.file}.tmp`;
    try {
      await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const handle = await open(tmp, 'w', 0o600);
      try {
        await handle.writeFile(JSON.stringify(body));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(tmp, this.file);
    } catch (err) {
      throw new ReconcileStateError(`cannot write ${this.file}: ${(err as Error).message}`, { cause: err });
    }
  }
}
