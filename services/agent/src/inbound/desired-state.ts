import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { fromBinary } from '@bufbuild/protobuf';
import { DesiredStatePayloadSchema, DesiredStateSchema, type DesiredStatePayload } from '@flotilla/contracts';
import type { KubeObject } from '@flotilla/kube';
import type { ObjectPolicy } from '@flotilla/manifests';
import { AgentError } from '../errors';

/**
 * The seam between the agent's inbound side (this folder) and its reconcile loop: what a
 * cluster should run, once its signature, cluster and revision are checked, and its bundles.
 * How an assigned application is kept in sync: as in the hub's AssignedPolicy (libs/domain).
 */
export interface AssignedPolicy {
  automated: boolean;
  prune: boolean;
  driftMode: 'detect' | 'correct';
  ignoredFields: Record<string, string[]>;
  adopt?: true;
  createNamespace?: true;
}

/** As in the hub's DesiredStateAssigned event. */
export interface AssignedApplication {
  name: string;
  source: string;
  commit: string;
  bundleDigest: string;
  namespace?: string;
  policy: AssignedPolicy;
  /** The `apps sync` request that asked for this assignment: a new one forces a re-apply. */
  syncRequest?: string;
  /** What the application may create, as the hub signed it; absent in states signed before policies existed. */
  objectPolicy?: ObjectPolicy;
}

export interface VerifiedDesiredState {
  clusterId: string;
  revision: number;
  applications: AssignedApplication[];
}

export interface DesiredStateFeed {
  onDesiredState(handler: (state: VerifiedDesiredState) => Promise<void>): void;
  fetchBundle(digest: string): Promise<{ digest: string; objects: KubeObject[] }>;
}

export type RefusalReason =
  'malformed' | 'bad-signature' | 'foreign-cluster' | 'replayed' | 'bundle-digest-mismatch' | 'bundle-refused';

/** A desired state or bundle the agent will not use: forged, tampered, foreign or replayed. Nothing of it is applied. */
export class DesiredStateRefusedError extends AgentError {
  readonly retryable = false;
  constructor(
    readonly reason: RefusalReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// SPKI prefix of a raw ed25519 public key: lets Node load the 32 bytes the agent pinned.
const ed25519SpkiPrefix = Buffer.from('302a300506032b6570032100', 'hex');

/** The hub's pinned signing key (32 raw bytes, base64url, as registration returned it). */
export function hubPublicKey(base64url: string): KeyObject {
  const raw = Buffer.from(base64url, 'base64url');
  if (raw.length !== 32) throw new DesiredStateRefusedError('malformed', 'the pinned hub signing key is not 32 bytes');
  return createPublicKey({ key: Buffer.concat([ed25519SpkiPrefix, raw]), format: 'der', type: 'spki' });
}

export interface VerifiedMessage {
  state: VerifiedDesiredState;
  /** The signed payload bytes, to tell a re-send of the accepted state from a different one. */
  payload: Uint8Array;
}

/**
 * Checks a DesiredState message: the hub's signature over its payload (with the pinned
 * key), that it is for this cluster, and that its revision is not older than the last one
 * accepted (the same revision is accepted only with the same bytes). Throws
 * DesiredStateRefusedError naming why; pure apart from the signature check.
 */
export function verifyDesiredState(
  bytes: Uint8Array,
  expected: { key: KeyObject; clusterId: string; lastRevision?: number; lastPayload?: Uint8Array },
): VerifiedMessage {
  let payloadBytes: Uint8Array;
  let signature: Uint8Array;
  try {
    const message = fromBinary(DesiredStateSchema, bytes);
    payloadBytes = message.payload;
    signature = message.signature;
  } catch (err) {
    throw new DesiredStateRefusedError('malformed', `undecodable desired state: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (signature.length !== 64 || !verify(null, payloadBytes, expected.key, signature)) {
    throw new DesiredStateRefusedError(
      'bad-signature',
      'desired state refused: its signature does not verify with the hub key pinned at registration (forged or tampered)',
    );
  }
  let payload: DesiredStatePayload;
  try {
    payload = fromBinary(DesiredStatePayloadSchema, payloadBytes);
  } catch (err) {
    throw new DesiredStateRefusedError('malformed', `undecodable desired-state payload: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (payload.clusterId !== expected.clusterId) {
    throw new DesiredStateRefusedError(
      'foreign-cluster',
      `desired state refused: it is for cluster ${JSON.stringify(payload.clusterId)}, not ${expected.clusterId}`,
    );
  }
  const revision = Number(payload.revision);
  if (expected.lastRevision !== undefined) {
    const same =
      expected.lastPayload !== undefined && Buffer.from(expected.lastPayload).equals(Buffer.from(payloadBytes));
    if (revision < expected.lastRevision || (revision === expected.lastRevision && !same)) {
      throw new DesiredStateRefusedError(
        'replayed',
        `desired state refused: revision ${revision} is not newer than revision ${expected.lastRevision} already accepted (replayed)`,
      );
    }
  }
  const applications: AssignedApplication[] = payload.applications.map((app) => {
    const driftMode = app.policy?.driftMode === 'correct' ? 'correct' : 'detect';
    const ignoredFields: Record<string, string[]> = {};
    for (const [kind, pointers] of Object.entries(app.policy?.ignoredFields ?? {}))
      ignoredFields[kind] = [...pointers.pointers];
    return {
      name: app.name,
      source: app.source,
      commit: app.commit,
      bundleDigest: app.bundleDigest,
      ...(app.namespace !== undefined ? { namespace: app.namespace } : {}),
      policy: {
        automated: app.policy?.automated ?? false,
        prune: app.policy?.prune ?? false,
        driftMode,
        ignoredFields,
        ...(app.policy?.adopt ? { adopt: true as const } : {}),
        ...(app.policy?.createNamespace ? { createNamespace: true as const } : {}),
      },
      ...(app.syncRequest !== undefined ? { syncRequest: app.syncRequest } : {}),
      ...(app.objectPolicy !== undefined
        ? {
            objectPolicy: {
              namespaces: [...app.objectPolicy.namespaces],
              clusterScopedKinds: [...app.objectPolicy.clusterScopedKinds],
              namespacedKinds: [...app.objectPolicy.namespacedKinds],
            },
          }
        : {}),
    };
  });
  return { state: { clusterId: payload.clusterId, revision, applications }, payload: payloadBytes };
}
