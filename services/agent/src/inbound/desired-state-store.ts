import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';

const fileSchema = z.object({
  version: z.literal(1),
  clusterId: z.string().min(1),
  revision: z.number().int().min(0),
  /** The whole signed DesiredState message, base64: re-verified with the pinned key on load. */
  message: z.string().min(1),
});

export type StoredDesiredState = z.infer<typeof fileSchema>;

/**
 * The last desired state the agent accepted, kept in its state directory (mode 0600,
 * written atomically). A restart re-verifies it and starts from it: an agent cut off from
 * NATS keeps running what it was told, and still refuses a replay of an older revision.
 */
export class DesiredStateStore {
  readonly file: string;

  constructor(stateDir: string) {
    this.file = path.join(stateDir, 'desired-state.json');
  }

  async load(): Promise<StoredDesiredState | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const parsed = fileSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  }

  async save(state: { clusterId: string; revision: number; message: Uint8Array }): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const stored: StoredDesiredState = {
      version: 1,
      clusterId: state.clusterId,
      revision: state.revision,
      message: Buffer.from(state.message).toString('base64'),
    };
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify(stored), { mode: 0o600, flush: true });
    await rename(tmp, this.file);
  }

  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
