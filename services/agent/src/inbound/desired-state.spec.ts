import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { create, toBinary } from '@bufbuild/protobuf';
import {
  AssignedApplicationSchema,
  DesiredStatePayloadSchema,
  DesiredStateSchema,
  JsonPointersSchema,
  SyncPolicySchema,
} from '@flotilla/contracts';
import { contentDigest } from './bundle-cache';
import { DesiredStateRefusedError, hubPublicKey, verifyDesiredState } from './desired-state';

function keyPair(): { privateKey: KeyObject; publicRaw: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return { privateKey, publicRaw: der.subarray(der.length - 32).toString('base64url') };
}

function payload(clusterId: string, revision: number, digest = `sha256:${'a'.repeat(64)}`): Uint8Array {
  return toBinary(
    DesiredStatePayloadSchema,
    create(DesiredStatePayloadSchema, {
      clusterId,
      revision: BigInt(revision),
      applications: [
        create(AssignedApplicationSchema, {
          name: 'web',
          source: 'repo',
          commit: 'c'.repeat(40),
          bundleDigest: digest,
          namespace: 'web',
          policy: create(SyncPolicySchema, {
            automated: true,
            prune: true,
            driftMode: 'correct',
            ignoredFields: { 'apps/Deployment': create(JsonPointersSchema, { pointers: ['/spec/replicas'] }) },
          }),
        }),
      ],
    }),
  );
}

const signed = (bytes: Uint8Array, key: KeyObject, signature?: Uint8Array) =>
  toBinary(
    DesiredStateSchema,
    create(DesiredStateSchema, { payload: bytes, signature: signature ?? sign(null, bytes, key) }),
  );

describe('verifyDesiredState', () => {
  const hub = keyPair();
  const key = hubPublicKey(hub.publicRaw);
  const refusal = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(DesiredStateRefusedError);
      return (err as DesiredStateRefusedError).reason;
    }
    throw new Error('expected a refusal');
  };

  it('accepts a state signed by the pinned hub key for this cluster, with every field', () => {
    const { state } = verifyDesiredState(signed(payload('c1', 3), hub.privateKey), {
      key,
      clusterId: 'c1',
      lastRevision: 2,
    });
    expect(state).toEqual({
      clusterId: 'c1',
      revision: 3,
      applications: [
        {
          name: 'web',
          source: 'repo',
          commit: 'c'.repeat(40),
          bundleDigest: `sha256:${'a'.repeat(64)}`,
          namespace: 'web',
          policy: {
            automated: true,
            prune: true,
            driftMode: 'correct',
            ignoredFields: { 'apps/Deployment': ['/spec/replicas'] },
          },
        },
      ],
    });
  });

  it('refuses a state signed with another key (forged)', () => {
    const other = keyPair();
    expect(
      refusal(() => verifyDesiredState(signed(payload('c1', 1), other.privateKey), { key, clusterId: 'c1' })),
    ).toBe('bad-signature');
  });

  it('refuses a tampered payload (one byte changed after signing)', () => {
    const bytes = payload('c1', 1);
    const signature = sign(null, bytes, hub.privateKey);
    const tampered = Uint8Array.from(bytes);
    tampered[tampered.length - 1] ^= 1;
    expect(
      refusal(() => verifyDesiredState(signed(tampered, hub.privateKey, signature), { key, clusterId: 'c1' })),
    ).toBe('bad-signature');
  });

  it("refuses another cluster's state, even correctly signed", () => {
    expect(refusal(() => verifyDesiredState(signed(payload('c2', 1), hub.privateKey), { key, clusterId: 'c1' }))).toBe(
      'foreign-cluster',
    );
  });

  it('refuses an older revision (replay), and the same revision with other content', () => {
    expect(
      refusal(() =>
        verifyDesiredState(signed(payload('c1', 4), hub.privateKey), { key, clusterId: 'c1', lastRevision: 5 }),
      ),
    ).toBe('replayed');
    const last = payload('c1', 5);
    const other = payload('c1', 5, `sha256:${'b'.repeat(64)}`);
    expect(
      refusal(() =>
        verifyDesiredState(signed(other, hub.privateKey), { key, clusterId: 'c1', lastRevision: 5, lastPayload: last }),
      ),
    ).toBe('replayed');
    // The same state sent again is fine (a push and a pull of one revision).
    expect(
      verifyDesiredState(signed(last, hub.privateKey), { key, clusterId: 'c1', lastRevision: 5, lastPayload: last })
        .state.revision,
    ).toBe(5);
  });

  it('refuses garbage', () => {
    expect(refusal(() => verifyDesiredState(Uint8Array.from([0xff, 0xff, 0xff]), { key, clusterId: 'c1' }))).toBe(
      'malformed',
    );
  });

  it('computes bundle digests as sha256 of the content', () => {
    expect(contentDigest(Buffer.from('[]'))).toBe(
      'sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945',
    );
  });
});
