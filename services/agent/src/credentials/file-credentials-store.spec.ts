import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createUser } from '@nats-io/nkeys';
import { CredentialsStoreError } from '../errors';
import type { AgentCredentials } from './agent-credentials';
import { FileCredentialsStore } from './file-credentials-store';

describe('FileCredentialsStore', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'flotilla-creds-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const credentials = (): AgentCredentials => ({
    version: 1,
    clusterId: 'c0123456789abcdef',
    clusterName: 'alpha',
    seed: new TextDecoder().decode(createUser().getSeed()),
    userJwt: 'eyJ.jwt.sig',
    hubSigningPublicKey: 'pk',
    registeredAt: '2026-11-26T00:00:00.000Z',
  });

  it('has nothing before the first save, and round-trips into a 0600 file in a 0700 directory', async () => {
    const file = path.join(dir, 'nested', 'credentials.json');
    const store = new FileCredentialsStore(file);
    expect(await store.load()).toBeUndefined();
    const c = credentials();
    await store.save(c);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(await new FileCredentialsStore(file).load()).toEqual(c);
  });

  it('refuses a damaged file with advice instead of registering again silently', async () => {
    const file = path.join(dir, 'credentials.json');
    writeFileSync(file, '{"version":1}');
    await expect(new FileCredentialsStore(file).load()).rejects.toThrow(CredentialsStoreError);
    await expect(new FileCredentialsStore(file).load()).rejects.toThrow(/delete them to register again/);
    expect(readFileSync(file, 'utf8')).toBe('{"version":1}');
  });
});
