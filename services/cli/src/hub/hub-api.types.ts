import type { Labels } from '../args/label-changes';
import type { LabelSelector } from '../args/selector';

/**
 * The JSON the hub's REST API answers (services/hub/src/openapi/openapi.document.ts is the
 * reference). Written out here because the CLI may not import hub code; only the fields the
 * CLI reads are typed, and -o json/yaml prints whatever the hub sent.
 */
export type ClusterState = 'pending' | 'connected' | 'disconnected' | 'deregistered';

export interface Cluster {
  id: string;
  name: string;
  labels: Labels;
  state: ClusterState;
  lastSeenAt: string | null;
  stateChangedAt: string | null;
  agentVersion: string;
  kubernetesVersion: string;
  publicKey: string;
  registeredAt: string;
  deregisteredAt: string | null;
  /** Only on GET /clusters/{id}. */
  groups?: string[];
}

export interface ClusterGroup {
  name: string;
  selector: LabelSelector;
  description: string;
  createdAt: string;
  createdBy: string;
  members: { id: string; name: string; state: ClusterState; labels?: Labels }[];
}

export interface RegistrationToken {
  tokenId: string;
  token: string;
  expiresAt: string;
  labels: Labels;
  /** NATS creds of the shared bootstrap user; present when the hub runs with NATS. */
  bootstrapCreds?: string;
}

export interface ApiToken {
  tokenId: string;
  name: string;
  role: string;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
}

export interface CreatedApiToken {
  tokenId: string;
  name: string;
  role: string;
  token: string;
}

export interface ItemList<T> {
  items: T[];
}
