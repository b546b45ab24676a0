import { create, toBinary } from '@bufbuild/protobuf';
import {
  AssignedApplicationSchema,
  DesiredStatePayloadSchema,
  DesiredStateSchema,
  JsonPointersSchema,
  ObjectPolicySchema,
  SyncPolicySchema,
  messageMeta,
  type DesiredState,
} from '@flotilla/contracts';
import type { AssignedApplication } from '@flotilla/domain';

/**
 * The signed bytes of a cluster's desired state. Deterministic for one (cluster, revision,
 * applications): the applications come sorted and the ignored-field kinds in key order, so
 * a re-sent state has the same bytes and the same signature.
 */
export function encodeDesiredStatePayload(input: {
  clusterId: string;
  revision: number;
  applications: readonly AssignedApplication[];
}): Uint8Array {
  return toBinary(
    DesiredStatePayloadSchema,
    create(DesiredStatePayloadSchema, {
      clusterId: input.clusterId,
      revision: BigInt(input.revision),
      applications: input.applications.map((app) =>
        create(AssignedApplicationSchema, {
          name: app.name,
          source: app.source,
          commit: app.commit,
          bundleDigest: app.bundleDigest,
          ...(app.namespace !== undefined ? { namespace: app.namespace } : {}),
          policy: create(SyncPolicySchema, {
            automated: app.policy.automated,
            prune: app.policy.prune,
            driftMode: app.policy.driftMode,
            adopt: app.policy.adopt === true,
            createNamespace: app.policy.createNamespace === true,
            ignoredFields: Object.fromEntries(
              Object.keys(app.policy.ignoredFields)
                .sort()
                .map((kind) => [kind, create(JsonPointersSchema, { pointers: app.policy.ignoredFields[kind]! })]),
            ),
          }),
          ...(app.syncRequest !== undefined ? { syncRequest: app.syncRequest } : {}),
          ...(app.objectPolicy !== undefined
            ? {
                objectPolicy: create(ObjectPolicySchema, {
                  namespaces: [...app.objectPolicy.namespaces],
                  clusterScopedKinds: [...app.objectPolicy.clusterScopedKinds],
                  namespacedKinds: [...app.objectPolicy.namespacedKinds],
                }),
              }
            : {}),
        }),
      ),
    }),
  );
}

/** The envelope sent to the agent: payload plus the hub's ed25519 signature over exactly those bytes. */
export function signedDesiredState(input: {
  payload: Uint8Array;
  clusterId: string;
  sign: (bytes: Uint8Array) => Uint8Array;
  messageId: string;
  now: Date;
}): DesiredState {
  return create(DesiredStateSchema, {
    meta: messageMeta({ id: input.messageId, clusterId: input.clusterId, sentAt: input.now }),
    payload: input.payload,
    signature: input.sign(input.payload),
  });
}

export function encodeSignedDesiredState(state: DesiredState): Uint8Array {
  return toBinary(DesiredStateSchema, state);
}
