import { createHmac, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { encodeAccount, encodeUser, fmtCreds, fromSeed, type Account, type KeyPair } from '@nats-io/jwt';
import { Prefix } from '@nats-io/nkeys';
import { Codec } from '@nats-io/nkeys/lib/codec';
import { accountLimits, bootstrapPermissions, clusterPermissions, type SubjectPermissions } from '@flotilla/contracts';

/** Public key of a user -> unix seconds: user JWTs issued at or before that time are refused. */
export type Revocations = Record<string, number>;

const toNatsPermissions = (p: SubjectPermissions) => ({
  pub: { allow: p.publish.allow, deny: p.publish.deny ?? [] },
  sub: { allow: p.subscribe.allow, deny: p.subscribe.deny ?? [] },
});

// PKCS#8 prefix of a raw ed25519 private key: lets Node load the 32-byte seed from config.
const ed25519Pkcs8Prefix = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * The hub's NATS authority: it signs user JWTs with the account key and re-issues the
 * account JWT (signed by the operator key) to carry revocations. Holds the seeds; never
 * logs or returns them.
 */
export class NatsAuthority {
  private readonly operator: KeyPair;
  private readonly account: KeyPair;
  private readonly signingKey: KeyObject;
  private readonly bootstrapUser: KeyPair;

  constructor(config: { operatorSeed: string; accountSeed: string; accountName: string; signingKeySeed: Buffer }) {
    this.operator = fromSeed(new TextEncoder().encode(config.operatorSeed));
    this.account = fromSeed(new TextEncoder().encode(config.accountSeed));
    this.accountName = config.accountName;
    this.signingKey = createPrivateKey({
      key: Buffer.concat([ed25519Pkcs8Prefix, config.signingKeySeed]),
      format: 'der',
      type: 'pkcs8',
    });
    // Derived from the account seed so every hub replica hands out the same bootstrap user.
    const bootstrapSeed = createHmac('sha256', config.accountSeed).update('flotilla bootstrap user v1').digest();
    this.bootstrapUser = userFromRawSeed(bootstrapSeed);
  }

  readonly accountName: string;

  get accountPublicKey(): string {
    return this.account.getPublicKey();
  }

  /** The hub's desired-state signing key, public half: raw 32 bytes, base64url. */
  get signingPublicKey(): string {
    const der = createPublicKey(this.signingKey).export({ format: 'der', type: 'spki' });
    return der.subarray(der.length - 32).toString('base64url');
  }

  /** Signs bytes with the hub's ed25519 signing key (desired state, later). */
  sign(data: Uint8Array): Uint8Array {
    return sign(null, data, this.signingKey);
  }

  /** A user JWT bound to an agent's public key, allowed only that cluster's subjects. */
  mintClusterUserJwt(clusterId: string, publicKey: string): Promise<string> {
    return encodeUser(`cluster-${clusterId}`, publicKey, this.account, {
      ...toNatsPermissions(clusterPermissions(clusterId)),
      bearer_token: false,
    });
  }

  /**
   * Creds of the shared bootstrap user, which may only send a registration request. Not a
   * secret in the strong sense (it grants nothing without a token) but not published either.
   */
  async bootstrapCreds(): Promise<string> {
    const jwt = await encodeUser(
      'bootstrap',
      this.bootstrapUser,
      this.account,
      toNatsPermissions(bootstrapPermissions()),
    );
    return new TextDecoder().decode(fmtCreds(jwt, this.bootstrapUser));
  }

  /** Creds for the hub's own connection when none are configured: an unrestricted user of the account. */
  async hubCreds(): Promise<string> {
    const seed = createHmac('sha256', this.account.getSeed()).update('flotilla hub user v1').digest();
    const user = userFromRawSeed(seed);
    const jwt = await encodeUser('hub', user, this.account);
    return new TextDecoder().decode(fmtCreds(jwt, user));
  }

  /** The whole account claim, with the given revocations, signed by the operator key. */
  accountJwt(revocations: Revocations): Promise<string> {
    const claims: Partial<Account> = { limits: accountLimits };
    if (Object.keys(revocations).length > 0) claims.revocations = { ...revocations };
    return encodeAccount(this.accountName, this.account.getPublicKey(), claims, { signer: this.operator });
  }
}

function userFromRawSeed(raw: Buffer): KeyPair {
  // nkeys encodes a seed with its type prefix and a checksum; build one from 32 raw bytes.
  return fromSeed(Codec.encodeSeed(Prefix.User, new Uint8Array(raw.subarray(0, 32))));
}
