import { createUser, encodeAccount, encodeUser, fmtCreds } from '@nats-io/jwt';
import { jetstreamManager } from '@nats-io/jetstream';
import { startOperatorModeNats, testAccountLimits, type OperatorModeNats } from './nats-server';

describe('startOperatorModeNats (real nats-server in operator mode)', () => {
  let nats: OperatorModeNats;
  beforeAll(async () => {
    nats = await startOperatorModeNats();
  }, 30_000);
  afterAll(async () => {
    await nats?.dispose();
  });

  it('gives the hub user JetStream in the application account', async () => {
    const nc = await nats.connect();
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.add({ name: 'harness', subjects: ['harness.>'] });
      expect(info.config.name).toBe('harness');
    } finally {
      await nc.close();
    }
  });

  it('refuses an unknown user and enforces the permissions in a minted user JWT', async () => {
    const stranger = createUser();
    const otherAccount = (await import('@nats-io/jwt')).createAccount();
    const forged = new TextDecoder().decode(fmtCreds(await encodeUser('x', stranger, otherAccount), stranger));
    await expect(nats.connect(forged)).rejects.toThrow(/Authorization|auth/i);

    const user = createUser();
    const jwt = await encodeUser('limited', user, nats.account.seed, {
      pub: { allow: ['allowed.>'] },
      sub: { allow: ['_INBOX.>'] },
    });
    const nc = await nats.connect(new TextDecoder().decode(fmtCreds(jwt, user)));
    const errors: string[] = [];
    void (async () => {
      for await (const s of nc.status()) if (s.type === 'error') errors.push(String(s.error));
    })();
    nc.publish('forbidden.x', 'nope');
    await nc.flush();
    await new Promise((r) => setTimeout(r, 300));
    expect(errors.join('\n')).toMatch(/Permissions Violation for Publish to "forbidden.x"/i);
    await nc.close();
  });

  it('closes a revoked user when the account claims are updated through the system account', async () => {
    const user = createUser();
    const jwt = await encodeUser('soon-revoked', user, nats.account.seed);
    const creds = new TextDecoder().decode(fmtCreds(jwt, user));
    const nc = await nats.connect(creds);
    const closed = nc.closed();

    const revokedAt = Math.floor(Date.now() / 1000) + 1;
    const accountJwt = await encodeAccount(
      'FLOTILLA',
      nats.account.publicKey,
      { limits: testAccountLimits, revocations: { [user.getPublicKey()]: revokedAt } },
      { signer: nats.operator.seed },
    );
    const sys = await nats.connect(nats.systemUserCreds);
    const reply = await sys.request(`$SYS.REQ.ACCOUNT.${nats.account.publicKey}.CLAIMS.UPDATE`, accountJwt, {
      timeout: 5000,
    });
    expect(reply.string()).toMatch(/jwt updated/);
    await sys.close();

    await closed;
    await expect(nats.connect(creds)).rejects.toThrow(/revoked|Authorization/i);
  });
});
