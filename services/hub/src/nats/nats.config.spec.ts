import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createAccount, createOperator, createUser, encodeUser, fmtCreds } from '@nats-io/jwt';
import { HubConfigError } from '../config/load-settings';
import { loadNatsConfig } from './nats.config';

describe('loadNatsConfig', () => {
  const operatorSeed = new TextDecoder().decode(createOperator().getSeed());
  const account = createAccount();
  const accountSeed = new TextDecoder().decode(account.getSeed());
  let creds: string;
  beforeAll(async () => {
    const user = createUser();
    creds = new TextDecoder().decode(fmtCreds(await encodeUser('sys', user, account), user));
  });
  const valid = () => ({
    FLOTILLA_HUB_NATS_OPERATOR_SEED: operatorSeed,
    FLOTILLA_HUB_NATS_ACCOUNT_SEED: accountSeed,
    FLOTILLA_HUB_NATS_SYSTEM_CREDS: creds,
    FLOTILLA_HUB_SIGNING_KEY: Buffer.alloc(32, 7).toString('base64url'),
  });

  it('applies the defaults written beside the declarations', () => {
    const c = loadNatsConfig(valid());
    expect(c.servers).toEqual(['nats://127.0.0.1:4222']);
    expect(c.heartbeatIntervalMs).toBe(10_000);
    expect(c.missedHeartbeats).toBe(3);
    expect(c.hubCreds).toBeUndefined();
  });

  it('reads key material from *_FILE variables', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'flotilla-natscfg-'));
    try {
      writeFileSync(path.join(dir, 'account'), `${accountSeed}\n`);
      const env: NodeJS.ProcessEnv = { ...valid(), FLOTILLA_HUB_NATS_ACCOUNT_SEED_FILE: path.join(dir, 'account') };
      delete env.FLOTILLA_HUB_NATS_ACCOUNT_SEED;
      expect(loadNatsConfig(env).accountSeed).toBe(accountSeed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names each bad variable and never prints a secret', () => {
    const env = { ...valid(), FLOTILLA_HUB_NATS_ACCOUNT_SEED: operatorSeed, FLOTILLA_HUB_MISSED_HEARTBEATS: '0' };
    const attempt = () => loadNatsConfig(env);
    expect(attempt).toThrow(HubConfigError);
    expect(attempt).toThrow(/FLOTILLA_HUB_NATS_ACCOUNT_SEED: must be a NATS account nkey seed/);
    expect(attempt).toThrow(/FLOTILLA_HUB_MISSED_HEARTBEATS/);
    expect(attempt).not.toThrow(new RegExp(operatorSeed));
  });

  it('says which file it could not read', () => {
    const env: NodeJS.ProcessEnv = { ...valid(), FLOTILLA_HUB_NATS_SYSTEM_CREDS_FILE: '/nonexistent/sys.creds' };
    delete env.FLOTILLA_HUB_NATS_SYSTEM_CREDS;
    expect(() => loadNatsConfig(env)).toThrow(
      /FLOTILLA_HUB_NATS_SYSTEM_CREDS_FILE: cannot read \/nonexistent\/sys.creds: ENOENT/,
    );
  });
});
