import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  AssignedApplicationSchema,
  BundleRequestSchema,
  BundleResponseSchema,
  DesiredStatePayloadSchema,
  DesiredStateSchema,
  SyncPolicySchema,
  bundleRequestSubject,
  desiredStateRequestSubject,
  desiredStateSubject,
  messageMeta,
} from '@flotilla/contracts';
import { connectTestNats } from '@flotilla/testing';
import { DesiredStateRefusedError, type VerifiedDesiredState } from './desired-state';
import { NatsDesiredStateFeed, type Refusal } from './nats-desired-state-feed';

jest.setTimeout(60_000);

function keyPair(): { privateKey: KeyObject; publicRaw: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return { privateKey, publicRaw: der.subarray(der.length - 32).toString('base64url') };
}

const bundleContent = Buffer.from(
  JSON.stringify([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'web' } }]),
);
const bundleDigest = `sha256:${createHash('sha256').update(bundleContent).digest('hex')}`;

function signedState(clusterId: string, revision: number, key: KeyObject, digest = bundleDigest): Uint8Array {
  const payload = toBinary(
    DesiredStatePayloadSchema,
    create(DesiredStatePayloadSchema, {
      clusterId,
      revision: BigInt(revision),
      applications: [
        create(AssignedApplicationSchema, {
          name: 'web',
          source: 'repo',
          commit: String(revision).repeat(40).slice(0, 40),
          bundleDigest: digest,
          policy: create(SyncPolicySchema, { automated: true, driftMode: 'detect' }),
        }),
      ],
    }),
  );
  return toBinary(
    DesiredStateSchema,
    create(DesiredStateSchema, {
      meta: messageMeta({ id: crypto.randomUUID(), clusterId, sentAt: new Date() }),
      payload,
      signature: sign(null, payload, key),
    }),
  );
}

/** A stand-in hub on the shared NATS: answers desired.get with `current` and bundle.get with `bundles`. */
async function fakeHub(nc: NatsConnection, clusterId: string) {
  const state: { current: Uint8Array | undefined; bundles: Map<string, Uint8Array> } = {
    current: undefined,
    bundles: new Map(),
  };
  nc.subscribe(desiredStateRequestSubject(clusterId), {
    callback: (_err, msg) => {
      if (state.current) msg.respond(state.current);
    },
  });
  nc.subscribe(bundleRequestSubject(clusterId), {
    callback: (_err, msg) => {
      const { digest } = fromBinary(BundleRequestSchema, msg.data);
      const content = state.bundles.get(digest);
      const response = create(BundleResponseSchema, {
        meta: messageMeta({ id: crypto.randomUUID(), clusterId, sentAt: new Date() }),
        result: content
          ? { case: 'content', value: content }
          : { case: 'refused', value: { $typeName: 'flotilla.v1.BundleRefused', reason: 2, message: 'not assigned' } },
      });
      msg.respond(toBinary(BundleResponseSchema, response));
    },
  });
  await nc.flush();
  return state;
}

async function until<T>(read: () => T, ok: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('NatsDesiredStateFeed (shared NATS)', () => {
  let hubNc: NatsConnection;
  let agentNc: NatsConnection;
  const dirs: string[] = [];
  const feeds: NatsDesiredStateFeed[] = [];
  beforeAll(async () => {
    hubNc = await connectTestNats();
    agentNc = await connectTestNats();
  });
  afterAll(async () => {
    await Promise.all(feeds.map((f) => f.stop()));
    await hubNc?.close();
    await agentNc?.close();
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  async function setup(options: { stateDir?: string; clusterId?: string } = {}) {
    const clusterId = options.clusterId ?? `c${randomBytes(8).toString('hex')}`;
    const hubKey = keyPair();
    const stateDir = options.stateDir ?? (await mkdtemp(path.join(tmpdir(), 'flotilla-agent-state-')));
    dirs.push(stateDir);
    const hub = await fakeHub(hubNc, clusterId);
    return { clusterId, hubKey, stateDir, hub };
  }

  function startFeed(clusterId: string, hubPublicRaw: string, stateDir: string) {
    const states: VerifiedDesiredState[] = [];
    const refusals: Refusal[] = [];
    const logs: string[] = [];
    const feed = new NatsDesiredStateFeed({
      nc: agentNc,
      clusterId,
      hubSigningPublicKey: hubPublicRaw,
      stateDir,
      log: (line) => logs.push(line),
      onRefused: (r) => refusals.push(r),
      resyncIntervalMs: 60_000,
      retryIntervalMs: 60_000,
      requestTimeoutMs: 2_000,
      bundleRequestTimeoutMs: 2_000,
    });
    feed.onDesiredState(async (state) => {
      states.push(state);
    });
    feeds.push(feed);
    return { feed, states, refusals, logs };
  }

  it('pulls at start, takes signed pushes, and refuses forged, tampered, foreign and replayed states', async () => {
    const { clusterId, hubKey, stateDir, hub } = await setup();
    hub.current = signedState(clusterId, 2, hubKey.privateKey);
    const { feed, states, refusals } = startFeed(clusterId, hubKey.publicRaw, stateDir);
    await feed.start();
    await until(
      () => states.length,
      (n) => n === 1,
    );
    expect(states[0]).toMatchObject({ clusterId, revision: 2, applications: [{ name: 'web', bundleDigest }] });

    const push = (bytes: Uint8Array) => hubNc.publish(desiredStateSubject(clusterId), bytes);
    // Forged: signed with a key that is not the pinned one.
    push(signedState(clusterId, 3, keyPair().privateKey));
    // Tampered: a correctly signed message with its payload changed.
    const genuine = fromBinary(DesiredStateSchema, signedState(clusterId, 4, hubKey.privateKey));
    const tamperedPayload = Uint8Array.from(genuine.payload);
    tamperedPayload[tamperedPayload.length - 1] ^= 1;
    push(toBinary(DesiredStateSchema, create(DesiredStateSchema, { ...genuine, payload: tamperedPayload })));
    // Another cluster's state, genuinely signed.
    push(signedState(`c${randomBytes(8).toString('hex')}`, 5, hubKey.privateKey));
    // A replay of an older revision.
    push(signedState(clusterId, 1, hubKey.privateKey));
    await until(
      () => refusals.length,
      (n) => n === 4,
    );
    expect(refusals.map((r) => r.reason)).toEqual(['bad-signature', 'bad-signature', 'foreign-cluster', 'replayed']);
    expect(states).toHaveLength(1);
    expect(feed.state?.revision).toBe(2);

    push(signedState(clusterId, 3, hubKey.privateKey));
    await until(
      () => states.length,
      (n) => n === 2,
    );
    expect(states[1]!.revision).toBe(3);
  });

  it('persists the accepted state: a restart resumes from it offline and still refuses a replay', async () => {
    const { clusterId, hubKey, stateDir, hub } = await setup();
    hub.current = signedState(clusterId, 7, hubKey.privateKey);
    const first = startFeed(clusterId, hubKey.publicRaw, stateDir);
    await first.feed.start();
    await until(
      () => first.states.length,
      (n) => n === 1,
    );
    await first.feed.stop();

    // The hub now answers an older revision (a replay); the restarted agent keeps 7.
    hub.current = signedState(clusterId, 6, hubKey.privateKey);
    const second = startFeed(clusterId, hubKey.publicRaw, stateDir);
    await second.feed.start();
    await until(
      () => second.refusals.length,
      (n) => n === 1,
    );
    expect(second.states.map((s) => s.revision)).toEqual([7]);
    expect(second.refusals[0]).toMatchObject({ reason: 'replayed', via: 'pull' });

    // A tampered state file is refused too (nothing from it is delivered).
    await second.feed.stop();
    const file = path.join(stateDir, 'desired-state.json');
    const stored = JSON.parse(await (await import('node:fs/promises')).readFile(file, 'utf8'));
    const message = fromBinary(DesiredStateSchema, Buffer.from(stored.message, 'base64'));
    message.signature = new Uint8Array(64);
    await writeFile(
      file,
      JSON.stringify({ ...stored, message: Buffer.from(toBinary(DesiredStateSchema, message)).toString('base64') }),
    );
    hub.current = undefined;
    const third = startFeed(clusterId, hubKey.publicRaw, stateDir);
    await third.feed.start();
    expect(third.states).toEqual([]);
    expect(third.refusals[0]).toMatchObject({ reason: 'bad-signature', via: 'stored' });
  });

  it('fetches bundles by digest, caches them on disk, and refuses content that does not match its digest', async () => {
    const { clusterId, hubKey, stateDir, hub } = await setup();
    const { feed, refusals } = startFeed(clusterId, hubKey.publicRaw, stateDir);
    hub.bundles.set(bundleDigest, bundleContent);
    await expect(feed.fetchBundle(bundleDigest)).resolves.toEqual({
      digest: bundleDigest,
      objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'web' } }],
    });
    // Cached: answers without the hub.
    hub.bundles.clear();
    await expect(feed.fetchBundle(bundleDigest)).resolves.toMatchObject({ digest: bundleDigest });

    const claimed = `sha256:${'ab'.repeat(32)}`;
    hub.bundles.set(claimed, Buffer.from('[{"evil":true}]'));
    await expect(feed.fetchBundle(claimed)).rejects.toBeInstanceOf(DesiredStateRefusedError);
    expect(refusals.at(-1)).toMatchObject({ reason: 'bundle-digest-mismatch', via: 'bundle' });
    await expect(feed.fetchBundle(`sha256:${'cd'.repeat(32)}`)).rejects.toThrow(/refused by the hub: not assigned/);
    await expect(feed.fetchBundle('md5:abc')).rejects.toThrow(/not sha256/);
  });
});
