import type { Decider, DomainEvent } from './decider';
import { ConflictError, NotFoundError, ValidationError } from './errors';
import { validateLabels, type Labels } from './label-selector';
import { isClusterId, isUserPublicKey, validateDnsLabel } from './names';

/** A cluster: registered by its agent, labelled by operators, deregistered by an admin. */
export const clusterStreamId = (clusterId: string): string => `cluster-${clusterId}`;

export type ClusterRegistered = DomainEvent<
  'ClusterRegistered',
  {
    clusterId: string;
    name: string;
    labels: Labels;
    publicKey: string;
    agentVersion: string;
    kubernetesVersion: string;
    /**
     * The API group versions its API server served at registration (discovery), sorted;
     * Helm renders see them as `.Capabilities.APIVersions`. Absent in events recorded before
     * agents reported them, and when the agent could not read them.
     */
    apiVersions?: string[];
    tokenId: string;
    registeredAt: string;
  }
>;
export type ClusterLabelsChanged = DomainEvent<
  'ClusterLabelsChanged',
  { clusterId: string; labels: Labels; previous: Labels }
>;
export type ClusterDeregistered = DomainEvent<
  'ClusterDeregistered',
  { clusterId: string; publicKey: string; name: string }
>;
/** Appended by the hub's liveness detector on transitions only (heartbeats are never logged). */
export type ClusterConnected = DomainEvent<'ClusterConnected', { clusterId: string; at: string }>;
export type ClusterDisconnected = DomainEvent<'ClusterDisconnected', { clusterId: string; lastSeenAt: string | null }>;

export type ClusterEvent =
  ClusterRegistered | ClusterLabelsChanged | ClusterDeregistered | ClusterConnected | ClusterDisconnected;

export type ClusterCommand =
  | {
      type: 'RegisterCluster';
      data: {
        clusterId: string;
        name: string;
        labels: Labels;
        publicKey: string;
        agentVersion: string;
        kubernetesVersion: string;
        apiVersions?: readonly string[];
        tokenId: string;
        now: Date;
      };
    }
  | { type: 'ChangeClusterLabels'; data: { labels: Labels } }
  | { type: 'DeregisterCluster'; data: Record<string, never> };

/** `pending`: registered but no heartbeat seen yet. Never read as healthy. */
export type ClusterConnection = 'pending' | 'connected' | 'disconnected';

export interface ClusterState {
  status: 'none' | 'registered' | 'deregistered';
  clusterId: string | null;
  name: string | null;
  labels: Labels;
  publicKey: string | null;
  connection: ClusterConnection;
}

const versionMaxLength = 64;

function validateVersion(value: string, field: string): void {
  if (typeof value !== 'string' || value.length > versionMaxLength || !/^[\x21-\x7e]*$/.test(value)) {
    throw new ValidationError(
      `${field} must be at most ${versionMaxLength} printable ASCII characters without whitespace`,
      field,
    );
  }
}

/** More than any real API server serves (a few hundred with many CRDs), fewer than would bloat the event. */
export const apiVersionsMax = 2_000;
/**
 * `v1`, `apps/v1`, `monitoring.coreos.com/v1alpha1`: a group that is a DNS subdomain (none for
 * the core group) and a version that is a DNS-1035 label (what the API server allows a CRD).
 */
const apiVersionPattern =
  /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\/)?[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The API versions a cluster reports, deduplicated and sorted; one that is not `group/version` is refused. */
function validateApiVersions(values: readonly string[]): string[] {
  if (!Array.isArray(values)) throw new ValidationError('apiVersions must be a list', 'apiVersions');
  if (values.length > apiVersionsMax)
    throw new ValidationError(`apiVersions holds more than ${apiVersionsMax} entries`, 'apiVersions');
  for (const value of values) {
    if (typeof value !== 'string' || value.length > 253 || !apiVersionPattern.test(value)) {
      throw new ValidationError(
        `apiVersions: "${String(value).slice(0, 80)}" is not an API group version such as apps/v1`,
        'apiVersions',
      );
    }
  }
  return [...new Set(values)].sort();
}

export const clusterDecider: Decider<ClusterCommand, ClusterEvent, ClusterState> = {
  initialState: () => ({
    status: 'none',
    clusterId: null,
    name: null,
    labels: {},
    publicKey: null,
    connection: 'pending',
  }),

  decide(command, state) {
    switch (command.type) {
      case 'RegisterCluster': {
        const c = command.data;
        if (state.status !== 'none')
          throw new ConflictError(`cluster ${c.clusterId} already exists`, { code: 'cluster-exists' });
        if (!isClusterId(c.clusterId)) throw new ValidationError(`"${c.clusterId}" is not a cluster id`, 'clusterId');
        validateDnsLabel(c.name, 'name');
        if (!isUserPublicKey(c.publicKey))
          throw new ValidationError('publicKey must be a NATS user public key (U...)', 'publicKey');
        validateVersion(c.agentVersion, 'agentVersion');
        validateVersion(c.kubernetesVersion, 'kubernetesVersion');
        validateLabels(c.labels);
        const apiVersions = validateApiVersions(c.apiVersions ?? []);
        return [
          {
            type: 'ClusterRegistered',
            data: {
              clusterId: c.clusterId,
              name: c.name,
              labels: { ...c.labels },
              publicKey: c.publicKey,
              agentVersion: c.agentVersion,
              kubernetesVersion: c.kubernetesVersion,
              ...(apiVersions.length > 0 ? { apiVersions } : {}),
              tokenId: c.tokenId,
              registeredAt: c.now.toISOString(),
            },
          },
        ];
      }
      case 'ChangeClusterLabels': {
        requireLive(state);
        validateLabels(command.data.labels);
        if (sameLabels(state.labels, command.data.labels)) return [];
        return [
          {
            type: 'ClusterLabelsChanged',
            data: { clusterId: state.clusterId!, labels: { ...command.data.labels }, previous: state.labels },
          },
        ];
      }
      case 'DeregisterCluster': {
        requireLive(state);
        return [
          {
            type: 'ClusterDeregistered',
            data: { clusterId: state.clusterId!, publicKey: state.publicKey!, name: state.name! },
          },
        ];
      }
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'ClusterRegistered':
        return {
          status: 'registered',
          clusterId: event.data.clusterId,
          name: event.data.name,
          labels: event.data.labels,
          publicKey: event.data.publicKey,
          connection: 'pending',
        };
      case 'ClusterLabelsChanged':
        return { ...state, labels: event.data.labels };
      case 'ClusterDeregistered':
        return { ...state, status: 'deregistered', connection: 'disconnected' };
      case 'ClusterConnected':
        return state.status === 'registered' ? { ...state, connection: 'connected' } : state;
      case 'ClusterDisconnected':
        return state.status === 'registered' ? { ...state, connection: 'disconnected' } : state;
      default:
        return state;
    }
  },
};

function requireLive(state: ClusterState): void {
  if (state.status === 'none') throw new NotFoundError('cluster not found', { code: 'cluster-not-found' });
  if (state.status === 'deregistered')
    throw new NotFoundError(`cluster ${state.clusterId} is deregistered`, { code: 'cluster-deregistered' });
}

export function sameLabels(a: Labels, b: Labels): boolean {
  const aKeys = Object.keys(a);
  return (
    aKeys.length === Object.keys(b).length &&
    aKeys.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k])
  );
}

/**
 * A cluster's human name is unique among live clusters. The claim lives in a stream of its
 * own, written in the same transaction as the registration, so two agents racing for one
 * name cannot both win (the second append fails its expected version).
 */
export const clusterNameStreamId = (name: string): string => `cluster-name-${name}`;

export type ClusterNameClaimed = DomainEvent<'ClusterNameClaimed', { name: string; clusterId: string }>;
export type ClusterNameReleased = DomainEvent<'ClusterNameReleased', { name: string; clusterId: string }>;
export type ClusterNameEvent = ClusterNameClaimed | ClusterNameReleased;

export interface ClusterNameState {
  heldBy: string | null;
}

export type ClusterNameCommand =
  | { type: 'ClaimClusterName'; data: { name: string; clusterId: string } }
  | { type: 'ReleaseClusterName'; data: { name: string; clusterId: string } };

export const clusterNameDecider: Decider<ClusterNameCommand, ClusterNameEvent, ClusterNameState> = {
  initialState: () => ({ heldBy: null }),
  decide(command, state) {
    switch (command.type) {
      case 'ClaimClusterName':
        if (state.heldBy !== null) {
          throw new ConflictError(`cluster name "${command.data.name}" is taken by cluster ${state.heldBy}`, {
            code: 'cluster-name-taken',
          });
        }
        return [{ type: 'ClusterNameClaimed', data: command.data }];
      case 'ReleaseClusterName':
        return state.heldBy === command.data.clusterId ? [{ type: 'ClusterNameReleased', data: command.data }] : [];
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'ClusterNameClaimed':
        return { heldBy: event.data.clusterId };
      case 'ClusterNameReleased':
        return state.heldBy === event.data.clusterId ? { heldBy: null } : state;
      default:
        return state;
    }
  },
};

/**
 * One key, one cluster: an agent's NATS public key is claimed in a stream of its own, in the
 * registration's transaction, and never released. A second cluster with the same key would
 * share the first one's NATS identity (deregistering one revokes the other), and a key that
 * belonged to a deregistered cluster is revoked in NATS, so it never comes back either.
 */
export const clusterKeyStreamId = (publicKey: string): string => `cluster-key-${publicKey}`;

export type ClusterKeyClaimed = DomainEvent<'ClusterKeyClaimed', { publicKey: string; clusterId: string }>;

export interface ClusterKeyState {
  heldBy: string | null;
}

export type ClusterKeyCommand = { type: 'ClaimClusterKey'; data: { publicKey: string; clusterId: string } };

export const clusterKeyDecider: Decider<ClusterKeyCommand, ClusterKeyClaimed, ClusterKeyState> = {
  initialState: () => ({ heldBy: null }),
  decide(command, state) {
    if (state.heldBy !== null)
      throw new ConflictError(`this public key already belongs to another cluster`, { code: 'cluster-key-taken' });
    return [{ type: 'ClusterKeyClaimed', data: command.data }];
  },
  evolve(state, event) {
    return event.type === 'ClusterKeyClaimed' ? { heldBy: event.data.clusterId } : state;
  },
};
