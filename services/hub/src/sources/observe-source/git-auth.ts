import { access } from 'node:fs/promises';
import path from 'node:path';
import { validateSourceUrl } from '@flotilla/domain';
import type { SourceSecrets } from '../source-secrets';
import type { GitAuth } from './git-mirror';

/** Single-quoted for the shell git runs GIT_SSH_COMMAND with. */
const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * Turns a source's credentials reference into environment for git. https: an Authorization
 * header scoped to the source's origin, passed as GIT_CONFIG_* (never on the command line,
 * where `ps` shows it, nor in the mirror's config). ssh: the key file, in batch mode, with
 * the ref's known_hosts if given (strict) or this replica's own (trust on first use).
 */
export async function gitAuthFor(
  source: { url: string; credentialsRef: string | null },
  secrets: SourceSecrets,
  dataDir: string,
): Promise<GitAuth> {
  const { scheme } = validateSourceUrl(source.url);
  if (scheme === 'file') return { env: {}, unsafe: {} };
  if (scheme === 'https') {
    if (!source.credentialsRef) return { env: {}, unsafe: {} };
    const secret = await secrets.read(source.credentialsRef);
    // A bare token works with GitHub, GitLab and Gitea under any user name.
    const userPass = secret.includes(':') ? secret : `git:${secret}`;
    const origin = `${new URL(source.url).origin}/`;
    return {
      env: {
        GIT_CONFIG_COUNT: '1',
        GIT_CONFIG_KEY_0: `http.${origin}.extraHeader`,
        GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(userPass).toString('base64')}`,
      },
      unsafe: { allowUnsafeConfigEnvCount: true },
    };
  }
  const options = ['-o BatchMode=yes', '-o IdentitiesOnly=yes'];
  if (source.credentialsRef) {
    const key = await secrets.pathOf(source.credentialsRef);
    options.push(`-i ${shellQuote(key)}`);
    const knownHosts = `${key}.known_hosts`;
    const pinned = await access(knownHosts).then(
      () => true,
      () => false,
    );
    if (pinned) {
      options.push(`-o UserKnownHostsFile=${shellQuote(knownHosts)}`, '-o StrictHostKeyChecking=yes');
      return sshAuth(options);
    }
  }
  options.push(
    `-o UserKnownHostsFile=${shellQuote(path.join(dataDir, 'known_hosts'))}`,
    '-o StrictHostKeyChecking=accept-new',
  );
  return sshAuth(options);
}

function sshAuth(options: string[]): GitAuth {
  return { env: { GIT_SSH_COMMAND: `ssh ${options.join(' ')}` }, unsafe: { allowUnsafeSshCommand: true } };
}
