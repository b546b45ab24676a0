import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import {
  checkNatsOperatorSetup,
  createNatsOperatorSetup,
  natsServerConfig,
  type NatsOperatorSetup,
} from '@flotilla/contracts';

/**
 * `flotilla-hub nats init`: the hub sets up its own NATS. Creates the operator, account and
 * system keys once (kept in DIR/setup.json, mode 0600), and from them writes, every run and
 * byte for byte the same, the key files the hub reads (`FLOTILLA_HUB_NATS_*_FILE`), a
 * nats-server configuration for operator mode with JetStream, and hub.env; it prints the hub
 * settings. With --kubernetes-secrets it prints the same as two Kubernetes Secrets instead
 * (for `kubectl apply -f -`), still keeping the keys in DIR so a second run prints the same.
 */
export class NatsInitError extends Error {
  override readonly name = 'NatsInitError';
}

interface StoredSetup extends NatsOperatorSetup {
  /** ed25519 seed, 32 bytes base64url: signs desired state (FLOTILLA_HUB_SIGNING_KEY). */
  signingKey: string;
}

export const natsInitUsage = `flotilla-hub nats init [options]
  --dir DIR               where the keys are kept (default ./flotilla-nats); rerunning reuses them
  --listen HOST:PORT      nats-server client listener (default 0.0.0.0:4222)
  --url URL               how the hub reaches it (default nats://127.0.0.1:<listen port>)
  --store-dir DIR         JetStream store (default DIR/jetstream; /data/jetstream for Kubernetes)
  --server-name NAME      nats-server name (default flotilla-nats)
  --account-name NAME     application account name (default FLOTILLA)
  --kubernetes-secrets    print Secrets <prefix>-hub-nats and <prefix>-nats-config as YAML instead of writing files
  --namespace NS          namespace of those Secrets (default flotilla)
  --secret-prefix P       their name prefix (default flotilla)`;

const secretMode = 0o600;

function writePrivate(file: string, data: string, mode = secretMode): void {
  // Written whole then renamed: a reader never sees half a key, and the mode is set from the start.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

async function loadOrCreate(dir: string, accountName: string): Promise<{ setup: StoredSetup; created: boolean }> {
  const file = path.join(dir, 'setup.json');
  if (existsSync(file)) {
    let setup: StoredSetup;
    try {
      setup = JSON.parse(readFileSync(file, 'utf8')) as StoredSetup;
      checkNatsOperatorSetup(setup);
      if (Buffer.from(setup.signingKey ?? '', 'base64url').length !== 32) throw new Error('bad signing key');
    } catch (err) {
      throw new NatsInitError(
        `${file} is not a usable NATS set-up (${(err as Error).message}); move it away to start anew`,
        {
          cause: err,
        },
      );
    }
    if (setup.accountName !== accountName)
      throw new NatsInitError(
        `${file} was made for account "${setup.accountName}", not "${accountName}": account names cannot change`,
      );
    return { setup, created: false };
  }
  const setup: StoredSetup = {
    ...(await createNatsOperatorSetup({ accountName })),
    signingKey: randomBytes(32).toString('base64url'),
  };
  writePrivate(file, `${JSON.stringify(setup, null, 2)}\n`);
  return { setup, created: true };
}

/** The key files the hub reads, by the setting that points at each. */
function keyFiles(setup: StoredSetup): Array<[setting: string, file: string, content: string]> {
  return [
    ['FLOTILLA_HUB_NATS_OPERATOR_SEED', 'operator.seed', `${setup.operator.seed}\n`],
    ['FLOTILLA_HUB_NATS_ACCOUNT_SEED', 'account.seed', `${setup.account.seed}\n`],
    ['FLOTILLA_HUB_NATS_SYSTEM_CREDS', 'system.creds', setup.systemUserCreds],
    ['FLOTILLA_HUB_NATS_CREDS', 'hub.creds', setup.hubUserCreds],
    ['FLOTILLA_HUB_SIGNING_KEY', 'signing.key', `${setup.signingKey}\n`],
  ];
}

export async function natsInit(
  args: string[],
  out: { stdout: (s: string) => void; stderr: (s: string) => void },
): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        dir: { type: 'string', default: 'flotilla-nats' },
        listen: { type: 'string', default: '0.0.0.0:4222' },
        url: { type: 'string' },
        'store-dir': { type: 'string' },
        'server-name': { type: 'string', default: 'flotilla-nats' },
        'account-name': { type: 'string', default: 'FLOTILLA' },
        'kubernetes-secrets': { type: 'boolean', default: false },
        namespace: { type: 'string', default: 'flotilla' },
        'secret-prefix': { type: 'string', default: 'flotilla' },
        help: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    throw new NatsInitError(`${(err as Error).message}\n${natsInitUsage}`, { cause: err });
  }
  if (values.help) {
    out.stdout(`${natsInitUsage}\n`);
    return;
  }
  const port = /:(\d+)$/.exec(values.listen)?.[1];
  if (!port) throw new NatsInitError(`--listen must be HOST:PORT, got "${values.listen}"`);
  const dir = path.resolve(values.dir);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { setup, created } = await loadOrCreate(dir, values['account-name']);
  out.stderr(
    created
      ? `created NATS operator, account and system keys in ${dir} (mode 0600)\n`
      : `reusing the NATS keys in ${dir}\n`,
  );

  if (values['kubernetes-secrets']) {
    const prefix = values['secret-prefix'];
    const labels = {
      'app.kubernetes.io/part-of': 'flotilla',
      'app.kubernetes.io/managed-by': 'flotilla-hub-nats-init',
    };
    const secret = (name: string, stringData: Record<string, string>) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name, namespace: values.namespace, labels },
      type: 'Opaque',
      stringData,
    });
    const hubKeys = Object.fromEntries(keyFiles(setup).map(([, file, content]) => [file, content]));
    const conf = natsServerConfig(setup, {
      listen: values.listen,
      httpListen: '0.0.0.0:8222',
      serverName: values['server-name'],
      storeDir: values['store-dir'] ?? '/data/jetstream',
    });
    out.stdout(
      [
        stringify(secret(`${prefix}-hub-nats`, hubKeys), { lineWidth: 0 }),
        stringify(secret(`${prefix}-nats-config`, { 'nats.conf': conf }), { lineWidth: 0 }),
      ].join('---\n'),
    );
    out.stderr(
      `printed Secrets ${prefix}-hub-nats (hub keys) and ${prefix}-nats-config (nats.conf), namespace ${values.namespace}\n`,
    );
    return;
  }

  const settings: string[] = [
    `FLOTILLA_HUB_NATS_URL=${values.url ?? `nats://127.0.0.1:${port}`}`,
    `FLOTILLA_HUB_NATS_ACCOUNT_NAME=${setup.accountName}`,
  ];
  for (const [setting, file, content] of keyFiles(setup)) {
    writePrivate(path.join(dir, file), content);
    settings.push(`${setting}_FILE=${path.join(dir, file)}`);
  }
  const confFile = path.join(dir, 'nats.conf');
  // Public JWTs only, so readable by a nats-server running as another user.
  writePrivate(
    confFile,
    natsServerConfig(setup, {
      listen: values.listen,
      serverName: values['server-name'],
      storeDir: values['store-dir'] ? path.resolve(values['store-dir']) : path.join(dir, 'jetstream'),
    }),
    0o644,
  );
  const env = `${settings.join('\n')}\n`;
  writePrivate(path.join(dir, 'hub.env'), env);
  out.stderr(
    `wrote ${confFile}: start NATS with \`nats-server -c ${confFile}\` (2.9 or later)\n` +
      `hub settings (also in ${path.join(dir, 'hub.env')}):\n`,
  );
  out.stdout(env);
}
