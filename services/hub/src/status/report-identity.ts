import { createHash } from 'node:crypto';

// Report identity is scoped to the reporting cluster. An agent chooses its report ids; were one
// used as an event id, a rogue agent could take in advance an id the hub derives for its own
// events (liveness transitions, the reactor's assignments) or another cluster's, and the hub's
// later append would be dropped as "already recorded". So the event id of a report is derived
// from the cluster the NATS subject vouches for and the report id, under a namespace of its
// own: the only ids an agent can reach are its own reports'.

// RFC 9562 UUIDv5 namespace of status reports (distinct from the reactor's).
const namespace = Buffer.from('0b9e4d6c2f7a4e38a1d5c7e93f260b14', 'hex');

/** The event id of report `reportId` of cluster `clusterId` (UUIDv5; deterministic, so a redelivery maps to the same id). */
export function statusEventId(clusterId: string, reportId: string): string {
  const hash = createHash('sha1')
    .update(namespace)
    .update(`${clusterId}\u0000${reportId.toLowerCase()}`, 'utf8')
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Agents name each report with a random UUID (version 4). Anything else, in particular the
 * version 5/7/8 forms the hub derives for its own events, is not a report id an agent makes:
 * such a report is refused and recorded as an attempt.
 */
export const reportIdPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;
