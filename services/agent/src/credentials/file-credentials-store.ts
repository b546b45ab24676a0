import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CredentialsStoreError } from '../errors';
import { agentCredentialsSchema, type AgentCredentials, type CredentialsStore } from './agent-credentials';

/** Credentials in a file readable by the agent's user only (outside Kubernetes). */
export class FileCredentialsStore implements CredentialsStore {
  readonly description: string;

  constructor(private readonly file: string) {
    this.description = `file ${file}`;
  }

  async load(): Promise<AgentCredentials | undefined> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CredentialsStoreError(`cannot read credentials from ${this.file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return parseStored(text, this.description);
  }

  async save(credentials: AgentCredentials): Promise<void> {
    const dir = path.dirname(this.file);
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      // Written under a temp name with mode 0600 from the start, then renamed: never a
      // moment where a half-written or world-readable file holds the seed.
      await writeFile(tmp, JSON.stringify(credentials, null, 2), { mode: 0o600, flag: 'w' });
      await chmod(tmp, 0o600);
      await rename(tmp, this.file);
    } catch (err) {
      throw new CredentialsStoreError(`cannot write credentials to ${this.file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
}

export function parseStored(text: string, where: string): AgentCredentials {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CredentialsStoreError(`the credentials in ${where} are not JSON; delete them to register again`, {
      cause: err,
    });
  }
  const result = agentCredentialsSchema.safeParse(json);
  if (!result.success) {
    throw new CredentialsStoreError(
      `the credentials in ${where} are invalid (${result.error.issues.map((i) => i.path.join('.')).join(', ')}); delete them to register again`,
    );
  }
  return result.data;
}
