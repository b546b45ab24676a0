/**
 * Every NATS subject between hub and agent is built here, from validated tokens, so that
 * no caller can smuggle a wildcard or an extra level into a subject, and so the layout
 * that the per-cluster permissions rely on lives in one place.
 *
 * Layout (all under `flotilla.v1`):
 * - `flotilla.v1.register`                        agent (bootstrap user) -> hub, request/reply
 * - `flotilla.v1.agent.<clusterId>.heartbeat`     agent -> hub
 * - `flotilla.v1.agent.<clusterId>.report.<kind>` agent -> hub status relay, request/reply
 * - `flotilla.v1.agent.<clusterId>.status.<kind>` hub relay -> the status JetStream stream
 * - `flotilla.v1.agent.<clusterId>.<...>`         any later agent -> hub traffic (bundle fetches)
 * - `flotilla.v1.hub.<clusterId>.<...>`           hub -> agent (desired state)
 * - `_INBOX.<clusterId>.>`                        replies to the agent's requests
 * - `_INBOX_REGISTER.>`                           replies to registration requests
 * Direction first, then the cluster id, so one wildcard per direction confines an agent.
 */

export const SUBJECT_ROOT = 'flotilla.v1';

export class InvalidSubjectTokenError extends Error {
  override readonly name = 'InvalidSubjectTokenError';
  constructor(
    readonly what: string,
    readonly value: string,
  ) {
    super(
      `${what} ${JSON.stringify(value)} cannot be a NATS subject token: it must be non-empty and contain no '.', '*', '>' or whitespace`,
    );
  }
}

// NATS splits on '.', treats '*' and '>' as wildcards and whitespace as a protocol separator;
// control characters are refused too since they never belong in an id.
const FORBIDDEN = /[.*>\s]/u;
const hasControlCharacter = (value: string) =>
  [...value].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);

/** Returns `value` if it is a single, literal subject token; throws otherwise. */
export function subjectToken(value: string, what = 'token'): string {
  if (typeof value !== 'string' || value.length === 0 || FORBIDDEN.test(value) || hasControlCharacter(value)) {
    throw new InvalidSubjectTokenError(what, String(value));
  }
  return value;
}

export function isValidSubjectToken(value: string): boolean {
  return typeof value === 'string' && value.length > 0 && !FORBIDDEN.test(value) && !hasControlCharacter(value);
}

/** Registration requests (the only subject the bootstrap user may publish on). */
export function registerSubject(): string {
  return `${SUBJECT_ROOT}.register`;
}

/** Prefix of everything one cluster's agent sends to the hub. */
export function agentSubjectPrefix(clusterId: string): string {
  return `${SUBJECT_ROOT}.agent.${subjectToken(clusterId, 'cluster id')}`;
}

/** Prefix of everything the hub sends to one cluster's agent. */
export function hubSubjectPrefix(clusterId: string): string {
  return `${SUBJECT_ROOT}.hub.${subjectToken(clusterId, 'cluster id')}`;
}

export function heartbeatSubject(clusterId: string): string {
  return `${agentSubjectPrefix(clusterId)}.heartbeat`;
}

/** What a hub subscribes to for every cluster's heartbeats. */
export function allHeartbeatsSubject(): string {
  return `${SUBJECT_ROOT}.agent.*.heartbeat`;
}

/** Extracts the cluster id of a subject built by `heartbeatSubject`, or undefined. */
export function clusterIdOfHeartbeatSubject(subject: string): string | undefined {
  const parts = subject.split('.');
  if (
    parts.length !== 5 ||
    `${parts[0]}.${parts[1]}` !== SUBJECT_ROOT ||
    parts[2] !== 'agent' ||
    parts[4] !== 'heartbeat'
  ) {
    return undefined;
  }
  return isValidSubjectToken(parts[3]!) ? parts[3] : undefined;
}

export function statusSubject(clusterId: string, kind: string): string {
  return `${agentSubjectPrefix(clusterId)}.status.${subjectToken(kind, 'status kind')}`;
}

/**
 * The `<kind>` token of each StatusReport case (the proto oneof's case names, kebab-cased), so
 * a stream or consumer can filter by kind without decoding. The hub trusts the body's case,
 * not this token; it is for routing and reading only.
 */
export const statusKinds = {
  syncStarted: 'sync-started',
  syncSucceeded: 'sync-succeeded',
  syncFailed: 'sync-failed',
  healthChanged: 'health-changed',
  driftDetected: 'drift-detected',
  driftCorrected: 'drift-corrected',
  driftResolved: 'drift-resolved',
  applicationRemoved: 'application-removed',
  desiredStateRefused: 'desired-state-refused',
} as const;

export type StatusKind = (typeof statusKinds)[keyof typeof statusKinds];

/**
 * Where an agent sends a status report: the hub's relay checks the reply subject, then
 * publishes it into the stream on `statusSubject` and answers with the stream's PubAck.
 * Agents may not publish into the stream themselves: JetStream acks to any reply subject
 * it is given, and NATS does not check a reply against the publisher's permissions, so a
 * direct publish would let one cluster make JetStream write onto another cluster's subjects.
 */
export function statusRelaySubject(clusterId: string, kind: string): string {
  return `${agentSubjectPrefix(clusterId)}.report.${subjectToken(kind, 'status kind')}`;
}

/** What the hub's relay subscribes to, for every cluster. */
export function allStatusRelaySubjects(): string {
  return `${SUBJECT_ROOT}.agent.*.report.*`;
}

/** The relay subject for a stream subject built by `statusSubject` (an agent's journal holds those). */
export function statusRelaySubjectOf(streamSubject: string): string {
  const parsed = parseStatusSubject(streamSubject);
  return parsed ? statusRelaySubject(parsed.clusterId, parsed.kind) : streamSubject;
}

/** Splits a subject built by `statusRelaySubject`, or undefined. */
export function parseStatusRelaySubject(subject: string): { clusterId: string; kind: string } | undefined {
  const parts = subject.split('.');
  if (
    parts.length !== 6 ||
    `${parts[0]}.${parts[1]}` !== SUBJECT_ROOT ||
    parts[2] !== 'agent' ||
    parts[4] !== 'report' ||
    !isValidSubjectToken(parts[3]!) ||
    !isValidSubjectToken(parts[5]!)
  ) {
    return undefined;
  }
  return { clusterId: parts[3]!, kind: parts[5]! };
}

/** Subjects of the status JetStream stream, across all clusters. */
export function allStatusSubjects(): string {
  return `${SUBJECT_ROOT}.agent.*.status.>`;
}

/**
 * Splits a subject built by `statusSubject` into its cluster id and kind, or undefined. The
 * cluster id is what NATS permissions vouch for: only that cluster's agent may publish there.
 */
export function parseStatusSubject(subject: string): { clusterId: string; kind: string } | undefined {
  const parts = subject.split('.');
  if (
    parts.length !== 6 ||
    `${parts[0]}.${parts[1]}` !== SUBJECT_ROOT ||
    parts[2] !== 'agent' ||
    parts[4] !== 'status' ||
    !isValidSubjectToken(parts[3]!) ||
    !isValidSubjectToken(parts[5]!)
  ) {
    return undefined;
  }
  return { clusterId: parts[3]!, kind: parts[5]! };
}

/** The hub's signed desired-state pushes to one cluster's agent. */
export function desiredStateSubject(clusterId: string): string {
  return `${hubSubjectPrefix(clusterId)}.desired`;
}

/** An agent asks for its latest desired state here (request/reply; hub replicas answer in a queue group). */
export function desiredStateRequestSubject(clusterId: string): string {
  return `${agentSubjectPrefix(clusterId)}.desired.get`;
}

/** What the hub subscribes to for every cluster's desired-state requests. */
export function allDesiredStateRequestsSubject(): string {
  return `${SUBJECT_ROOT}.agent.*.desired.get`;
}

/** An agent fetches a bundle by digest here (request/reply, queue group on the hub). */
export function bundleRequestSubject(clusterId: string): string {
  return `${agentSubjectPrefix(clusterId)}.bundle.get`;
}

/** What the hub subscribes to for every cluster's bundle requests. */
export function allBundleRequestsSubject(): string {
  return `${SUBJECT_ROOT}.agent.*.bundle.get`;
}

/** Queue groups of the hub replicas answering desired-state and bundle requests (one answer per request). */
export const desiredStateQueueGroup = 'flotilla-hub-desired';
export const bundleQueueGroup = 'flotilla-hub-bundles';

/**
 * The cluster id of a subject built by `desiredStateRequestSubject` or `bundleRequestSubject`,
 * or undefined. It is what the hub answers for: NATS lets only that cluster's agent publish there.
 */
export function clusterIdOfAgentRequestSubject(subject: string, request: 'desired' | 'bundle'): string | undefined {
  const parts = subject.split('.');
  if (
    parts.length !== 6 ||
    `${parts[0]}.${parts[1]}` !== SUBJECT_ROOT ||
    parts[2] !== 'agent' ||
    parts[4] !== request ||
    parts[5] !== 'get'
  ) {
    return undefined;
  }
  return isValidSubjectToken(parts[3]!) ? parts[3] : undefined;
}

/**
 * Inbox prefix an agent must use (`inboxPrefix` connection option) so that replies to its
 * requests land where only it may subscribe.
 */
export function agentInboxPrefix(clusterId: string): string {
  return `_INBOX.${subjectToken(clusterId, 'cluster id')}`;
}

/**
 * Whether `reply` is a subject under the cluster's own inbox prefix, the only place a hub
 * responder may answer a request of that cluster's agent. NATS does not check a reply
 * subject against the requester's permissions: without this, a request could make the hub
 * publish onto any subject (another cluster's desired state, inboxes, the JetStream API).
 */
export function isReplyOfCluster(reply: string | undefined, clusterId: string): boolean {
  return isReplyUnder(reply, agentInboxPrefix(clusterId));
}

function isReplyUnder(reply: string | undefined, prefix: string): boolean {
  if (typeof reply !== 'string' || !reply.startsWith(`${prefix}.`)) return false;
  const rest = reply.slice(prefix.length + 1).split('.');
  return rest.every(isValidSubjectToken);
}

export interface SubjectPermissions {
  publish: { allow: string[]; deny?: string[] };
  subscribe: { allow: string[]; deny?: string[] };
}

/**
 * What one cluster's agent may do on NATS, and nothing more: the NATS server enforces it
 * from the user JWT the hub mints at registration. Later capabilities add entries here
 * (and only here), e.g. the JetStream API calls for the cluster's own desired-state key.
 */
export function clusterPermissions(clusterId: string): SubjectPermissions {
  subjectToken(clusterId, 'cluster id');
  return {
    // Status goes through the hub's relay (statusRelaySubject), never straight into the stream.
    publish: { allow: [`${agentSubjectPrefix(clusterId)}.>`], deny: [`${agentSubjectPrefix(clusterId)}.status.>`] },
    subscribe: { allow: [`${hubSubjectPrefix(clusterId)}.>`, `${agentInboxPrefix(clusterId)}.>`] },
  };
}

/**
 * Inbox prefix of the bootstrap user (`inboxPrefix` connection option). Its own first token,
 * so that a bootstrap user can never read the replies meant for a registered cluster.
 */
export const BOOTSTRAP_INBOX_PREFIX = '_INBOX_REGISTER';

/**
 * The shared bootstrap user: it may send a registration request and read the reply, and
 * nothing else. Replies carry no secret (a user JWT is useless without the agent's seed).
 */
export function bootstrapPermissions(): SubjectPermissions {
  return {
    publish: { allow: [registerSubject()] },
    subscribe: { allow: [`${BOOTSTRAP_INBOX_PREFIX}.>`] },
  };
}

/** Whether `reply` is under the bootstrap user's inbox: the only place a registration is answered. */
export function isRegistrationReply(reply: string | undefined): boolean {
  return isReplyUnder(reply, BOOTSTRAP_INBOX_PREFIX);
}

/** NATS header names used on every message. */
export const Headers = {
  /** JetStream deduplicates on it; consumers use it for idempotency. */
  messageId: 'Nats-Msg-Id',
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  /**
   * Set by the agent's outbox on every message it sends: its sequence number (1, 2, ... in
   * the order the agent reported) and the outbox's epoch (a UUID made when its journal
   * directory was created; a new epoch restarts the sequence). The hub records a cluster's
   * reports in this order, whatever order they arrive in.
   */
  outboxSequence: 'Flotilla-Outbox-Seq',
  outboxEpoch: 'Flotilla-Outbox-Epoch',
} as const;
