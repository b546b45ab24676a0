// A real hub for the simulated fleet's tests and the propagation benchmark: a nats-server in
// operator mode, a fresh Postgres database and services/hub/src/main.ts as its own process,
// with a git credentials directory for webhook secrets. The hub is started by path, never
// imported: the agent side depends on no hub code.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, freePort, startOperatorModeNats, type OperatorModeNats } from '@flotilla/testing';

const root = path.resolve(__dirname, '../../../../..');

export interface HubUnderTest {
  hubUrl: string;
  natsUrl: string;
  databaseUrl: string;
  /** An admin API token. */
  adminToken: string;
  nats: OperatorModeNats;
  /** FLOTILLA_HUB_GIT_CREDENTIALS_DIR: secret files named by webhookSecretRef. */
  credentialsDir: string;
  /** The hub's output so far (for failure messages). */
  output(): string;
  /** Throws with the hub's output when the process has ended. */
  assertRunning(): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- callers read the JSON answers field by field
  api(method: string, urlPath: string, body?: unknown, contentType?: string): Promise<{ status: number; body: any }>;
  /** Writes a webhook secret into the credentials directory and returns it. */
  writeWebhookSecret(ref: string): string;
  /** Sends a GitHub-style push delivery signed with the secret; resolves with the HTTP status. */
  sendWebhook(source: string, secret: string, payload: unknown): Promise<number>;
  close(): Promise<void>;
}

/** How long the hub may take to start from source (swc compile, migrations) on a loaded 2-core machine. */
const hubStartTimeoutMs = 120_000;
/** SIGTERM, then SIGKILL after this. */
const hubStopTimeoutMs = 15_000;
/** Hub output kept for failure messages. */
const outputKeptChars = 64 * 1024;

export async function startHubUnderTest(options: { heartbeatIntervalMs: number }): Promise<HubUnderTest> {
  const dir = mkdtempSync(path.join(tmpdir(), 'flotilla-fleet-hub-'));
  const credentialsDir = path.join(dir, 'git-credentials');
  const cleanups: Array<() => Promise<unknown> | unknown> = [() => rmSync(dir, { recursive: true, force: true })];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await Promise.resolve(cleanup()).catch(() => undefined);
  };
  try {
    mkdirSync(credentialsDir, { mode: 0o700 });
    const nats = await startOperatorModeNats({ name: `fleet-${randomBytes(3).toString('hex')}` });
    cleanups.push(() => nats.dispose());
    const database = await createTestDatabase('fleet');
    cleanups.push(() => database.drop());
    const adminToken = `fleet-admin-${randomBytes(24).toString('hex')}`;
    const port = await freePort();
    const hubUrl = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      FLOTILLA_HUB_DATABASE_URL: database.url,
      FLOTILLA_HUB_HTTP_HOST: '127.0.0.1',
      FLOTILLA_HUB_HTTP_PORT: String(port),
      FLOTILLA_HUB_ADMIN_TOKEN: adminToken,
      FLOTILLA_HUB_NATS_URL: nats.url,
      FLOTILLA_HUB_NATS_OPERATOR_SEED: nats.operator.seed,
      FLOTILLA_HUB_NATS_ACCOUNT_SEED: nats.account.seed,
      FLOTILLA_HUB_NATS_SYSTEM_CREDS: nats.systemUserCreds,
      FLOTILLA_HUB_SIGNING_KEY: randomBytes(32).toString('base64url'),
      FLOTILLA_HUB_HEARTBEAT_INTERVAL_MS: String(options.heartbeatIntervalMs),
      FLOTILLA_HUB_GIT_DATA_DIR: path.join(dir, 'git-data'),
      FLOTILLA_HUB_GIT_CREDENTIALS_DIR: credentialsDir,
    };
    // Jest's VM-modules flag is for Jest itself, not for the process under test.
    delete env.NODE_OPTIONS;
    const proc: ChildProcess = spawn(
      process.execPath,
      [
        '--conditions=flotilla-source',
        '-r',
        path.join(root, 'tools/register.js'),
        path.join(root, 'services/hub/src/main.ts'),
      ],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-outputKeptChars);
      if (process.env.FLOTILLA_E2E_VERBOSE) process.stderr.write(`[hub] ${d.toString()}`);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    cleanups.push(async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), hubStopTimeoutMs);
      await exited;
      clearTimeout(timer);
    });
    const assertRunning = () => {
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(`the hub exited (${proc.exitCode ?? proc.signalCode}):\n${output}`);
    };

    const deadline = Date.now() + hubStartTimeoutMs;
    for (;;) {
      assertRunning();
      const ready = await fetch(`${hubUrl}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`the hub was not ready within ${hubStartTimeoutMs} ms:\n${output}`);
      await new Promise((r) => setTimeout(r, 250));
    }

    return {
      hubUrl,
      natsUrl: nats.url,
      databaseUrl: database.url,
      adminToken,
      nats,
      credentialsDir,
      output: () => output,
      assertRunning,
      async api(method, urlPath, body, contentType = 'application/json') {
        const response = await fetch(`${hubUrl}${urlPath}`, {
          method,
          headers: {
            authorization: `Bearer ${adminToken}`,
            ...(body !== undefined ? { 'content-type': contentType } : {}),
          },
          ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
        });
        const text = await response.text();
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          // Not JSON: the text itself explains the answer.
        }
        return { status: response.status, body: parsed };
      },
      writeWebhookSecret(ref) {
        const secret = randomBytes(24).toString('hex');
        writeFileSync(path.join(credentialsDir, ref), secret, { mode: 0o600 });
        return secret;
      },
      async sendWebhook(source, secret, payload) {
        const raw = Buffer.from(JSON.stringify(payload));
        const response = await fetch(`${hubUrl}/api/v1/sources/${source}/webhook`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-github-event': 'push',
            'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`,
          },
          body: raw,
        });
        await response.text();
        return response.status;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
