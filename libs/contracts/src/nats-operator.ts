import {
  createAccount,
  createOperator,
  createUser,
  encodeAccount,
  encodeOperator,
  encodeUser,
  fmtCreds,
  fromSeed,
  type Account,
} from '@nats-io/jwt';

/**
 * The NATS operator set-up Flotilla runs on (operator/JWT mode): one operator, the
 * application account agents and the hub live in (JetStream on), and the system account.
 * One code path for `flotilla-hub nats init`, the test harness and the demo, so what the
 * tests prove is what an installation runs. Pure: keys in, JWTs and config text out.
 */

/**
 * What the application account JWT grants: unlimited within the account, JetStream on. The
 * hub owns the whole account claim (it re-issues it with every revocation), so these are
 * the account's settings; change them here, not with nsc.
 */
export const accountLimits: NonNullable<Account['limits']> = {
  subs: -1,
  data: -1,
  payload: -1,
  imports: -1,
  exports: -1,
  wildcards: true,
  conn: -1,
  leaf: -1,
  mem_storage: -1,
  disk_storage: -1,
  streams: -1,
  consumer: -1,
};

/** The system account needs no JetStream. */
const systemAccountLimits: NonNullable<Account['limits']> = {
  ...accountLimits,
  mem_storage: 0,
  disk_storage: 0,
  streams: 0,
  consumer: 0,
};

export interface NatsIdentity {
  publicKey: string;
  /** Nkey seed, as text (`SO...`, `SA...`, `SU...`). */
  seed: string;
  jwt: string;
}

/** Everything `nats init` generates once and keeps: regenerating would change every key. */
export interface NatsOperatorSetup {
  accountName: string;
  operator: NatsIdentity;
  /** The account agents and the hub live in, with JetStream enabled. */
  account: NatsIdentity;
  /** The system account (`$SYS` requests such as account claim updates). */
  systemAccount: NatsIdentity;
  /** Creds file text of a system-account user: the hub pushes account claim updates with it. */
  systemUserCreds: string;
  /** Creds file text of an unrestricted user of `account`: the hub's own connection. */
  hubUserCreds: string;
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Creates new keys and signs the operator, account and user JWTs. */
export async function createNatsOperatorSetup(
  options: { operatorName?: string; accountName?: string } = {},
): Promise<NatsOperatorSetup> {
  const accountName = options.accountName ?? 'FLOTILLA';
  const operatorKp = createOperator();
  const accountKp = createAccount();
  const systemKp = createAccount();
  const operatorJwt = await encodeOperator(options.operatorName ?? 'flotilla', operatorKp, {
    system_account: systemKp.getPublicKey(),
  });
  const accountJwt = await encodeAccount(accountName, accountKp, { limits: accountLimits }, { signer: operatorKp });
  const systemJwt = await encodeAccount('SYS', systemKp, { limits: systemAccountLimits }, { signer: operatorKp });
  const sysUser = createUser();
  const hubUser = createUser();
  const identity = (kp: { getPublicKey(): string; getSeed(): Uint8Array }, jwt: string): NatsIdentity => ({
    publicKey: kp.getPublicKey(),
    seed: text(kp.getSeed()),
    jwt,
  });
  return {
    accountName,
    operator: identity(operatorKp, operatorJwt),
    account: identity(accountKp, accountJwt),
    systemAccount: identity(systemKp, systemJwt),
    systemUserCreds: text(fmtCreds(await encodeUser('hub-system', sysUser, systemKp), sysUser)),
    hubUserCreds: text(fmtCreds(await encodeUser('hub', hubUser, accountKp), hubUser)),
  };
}

/** Checks a stored set-up still holds together (keys match their JWTs), so a damaged file fails early. */
export function checkNatsOperatorSetup(setup: NatsOperatorSetup): void {
  for (const [what, id] of [
    ['operator', setup.operator],
    ['account', setup.account],
    ['system account', setup.systemAccount],
  ] as const) {
    const kp = fromSeed(new TextEncoder().encode(id.seed));
    const claims = JSON.parse(Buffer.from(id.jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
      sub?: string;
    };
    if (kp.getPublicKey() !== id.publicKey || claims.sub !== id.publicKey)
      throw new Error(`the stored NATS ${what} seed, public key and JWT do not match`);
  }
}

export interface NatsServerConfigOptions {
  /** `host:port` the server listens on for clients. */
  listen: string;
  /** JetStream store directory. */
  storeDir: string;
  serverName?: string;
  /** JetStream limits, in nats-server units (`64MB`, `10GB`). */
  maxMemoryStore?: string;
  maxFileStore?: string;
  /** `host:port` of the monitoring endpoint (/healthz), when wanted. */
  httpListen?: string;
}

/**
 * A nats-server configuration (2.9+) for operator mode with JetStream: the operator JWT
 * inline, the memory resolver preloaded with the system and application accounts. The hub
 * pushes the account claim (with its revocations) at start and on every reconnect, so a
 * restarted server gets them back without a resolver directory.
 */
export function natsServerConfig(setup: NatsOperatorSetup, options: NatsServerConfigOptions): string {
  return [
    '# nats-server configuration for Flotilla (operator mode, JetStream), written by `flotilla-hub nats init`.',
    '# Holds public JWTs only; the keys stay with the hub.',
    `listen: ${JSON.stringify(options.listen)}`,
    ...(options.httpListen ? [`http: ${JSON.stringify(options.httpListen)}`] : []),
    ...(options.serverName ? [`server_name: ${JSON.stringify(options.serverName)}`] : []),
    'jetstream {',
    `  store_dir: ${JSON.stringify(options.storeDir)}`,
    `  max_memory_store: ${options.maxMemoryStore ?? '256MB'}`,
    `  max_file_store: ${options.maxFileStore ?? '10GB'}`,
    '}',
    `operator: ${JSON.stringify(setup.operator.jwt)}`,
    `system_account: ${setup.systemAccount.publicKey}`,
    'resolver: MEMORY',
    'resolver_preload: {',
    `  ${setup.systemAccount.publicKey}: ${JSON.stringify(setup.systemAccount.jwt)}`,
    `  ${setup.account.publicKey}: ${JSON.stringify(setup.account.jwt)}`,
    '}',
    '',
  ].join('\n');
}
