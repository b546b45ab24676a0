import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SourceSecrets } from '../source-secrets';
import { gitAuthFor } from './git-auth';
import { scrub } from './git-mirror';

describe('git credentials by reference', () => {
  let dir: string;
  let secrets: SourceSecrets;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'flotilla-auth-'));
    await writeFile(path.join(dir, 'https-token'), 'bot:tok3n\n');
    await writeFile(path.join(dir, 'bare-token'), 'tok3n');
    await writeFile(path.join(dir, 'deploy-key'), 'PRIVATE KEY', { mode: 0o600 });
    await writeFile(path.join(dir, 'deploy-key.known_hosts'), 'github.com ssh-ed25519 AAAA');
    secrets = new SourceSecrets({ dataDir: '/data', credentialsDir: dir, polling: true, allowLocalSources: false });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes an https credential as a header scoped to the origin, in the environment only', async () => {
    const auth = await gitAuthFor(
      { url: 'https://git.example.com/org/apps.git', credentialsRef: 'https-token' },
      secrets,
      '/data',
    );
    expect(auth.env).toEqual({
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.https://git.example.com/.extraHeader',
      GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from('bot:tok3n').toString('base64')}`,
    });
    const bare = await gitAuthFor(
      { url: 'https://git.example.com/org/apps.git', credentialsRef: 'bare-token' },
      secrets,
      '/data',
    );
    expect(bare.env.GIT_CONFIG_VALUE_0).toBe(`Authorization: Basic ${Buffer.from('git:tok3n').toString('base64')}`);
  });
  it('uses an ssh key with its pinned known_hosts strictly, or trust-on-first-use without one', async () => {
    const pinned = await gitAuthFor(
      { url: 'git@github.com:org/apps.git', credentialsRef: 'deploy-key' },
      secrets,
      '/data',
    );
    expect(pinned.env.GIT_SSH_COMMAND).toContain(`-i '${path.join(dir, 'deploy-key')}'`);
    expect(pinned.env.GIT_SSH_COMMAND).toContain('StrictHostKeyChecking=yes');
    expect(pinned.env.GIT_SSH_COMMAND).toContain('BatchMode=yes');
    const anonymous = await gitAuthFor({ url: 'ssh://git@host/org/apps.git', credentialsRef: null }, secrets, '/data');
    expect(anonymous.env.GIT_SSH_COMMAND).toContain('StrictHostKeyChecking=accept-new');
  });
  it('fails naming the reference, never a value, when the secret is missing', async () => {
    await expect(
      gitAuthFor({ url: 'https://h.example.com/r.git', credentialsRef: 'missing' }, secrets, '/data'),
    ).rejects.toThrow(/secret "missing"/);
  });
  it('scrubs credentials out of git messages', () => {
    expect(scrub('fatal: unable to access https://bot:tok3n@h/r.git: 403')).toBe(
      'fatal: unable to access https://***@h/r.git: 403',
    );
    expect(scrub('header Authorization: Basic Ym90OnRvazNu sent')).not.toContain('Ym90');
  });
});
