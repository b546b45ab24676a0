import { timestampDate, type Timestamp } from '@bufbuild/protobuf/wkt';
import {
  decodeMessage,
  DriftMode as WireDriftMode,
  DriftReason as WireDriftReason,
  Health,
  ResourceAction as WireResourceAction,
  StatusReportSchema,
  type DriftField as WireDriftField,
  type ResourceRef as WireResourceRef,
  type ResourceResult as WireResourceResult,
  type StatusReport,
} from '@flotilla/contracts';
import type {
  DriftMode,
  DriftReason,
  HealthChanged,
  HealthStatus,
  ResourceAction,
  StatusDriftField,
  StatusEvent,
  StatusResourceRef,
  StatusResourceResult,
  SyncData,
} from '@flotilla/domain';
import { desiredStateRefusalReasons } from '@flotilla/domain';
import { reportIdPattern, statusEventId } from './report-identity';

const refusalVias = ['push', 'pull', 'stored', 'bundle'];
/** The agent's explanation is kept, bounded: it is the agent's text, not the hub's. */
const refusalMessageMaxChars = 500;

// The stored status events are declared in @flotilla/domain (status.events.ts); re-exported
// for the hub's status folder.
export { statusEventTypes, type StatusEvent, type StatusEventType, type StatusResourceRef } from '@flotilla/domain';

/** A report the hub will not record as a status event; it becomes `StatusRejected` (no body). */
export class StatusReportRejectedError extends Error {
  override readonly name = 'StatusReportRejectedError';
  constructor(
    readonly reason: string,
    readonly details: { messageId?: string; clusterId?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(reason, options);
  }
}

/** What the agent's reconciler writes in place of a Secret value; the hub enforces it too. */
export const REDACTED = '<redacted>';

const healths: Partial<Record<Health, HealthStatus>> = {
  [Health.HEALTHY]: 'healthy',
  [Health.PROGRESSING]: 'progressing',
  [Health.DEGRADED]: 'degraded',
  [Health.MISSING]: 'missing',
};

const actions: Partial<Record<WireResourceAction, ResourceAction>> = {
  [WireResourceAction.CREATED]: 'created',
  [WireResourceAction.CONFIGURED]: 'configured',
  [WireResourceAction.UNCHANGED]: 'unchanged',
  [WireResourceAction.PRUNED]: 'pruned',
  [WireResourceAction.FAILED]: 'failed',
};

const driftReasons: Partial<Record<WireDriftReason, DriftReason>> = {
  [WireDriftReason.MISSING]: 'missing',
  [WireDriftReason.MODIFIED]: 'modified',
};

const driftModes: Partial<Record<WireDriftMode, DriftMode>> = {
  [WireDriftMode.DETECT]: 'detect',
  [WireDriftMode.CORRECT]: 'correct',
};

function reject(reason: string): never {
  throw new StatusReportRejectedError(reason);
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === null || value === '') reject(`${what} is missing`);
  return value;
}

function at(value: Timestamp | undefined): string {
  const date = timestampDate(required(value, 'at'));
  if (Number.isNaN(date.getTime())) reject('at is not a valid time');
  return date.toISOString();
}

function ref(value: WireResourceRef | undefined, what = 'resource'): StatusResourceRef {
  const r = required(value, what);
  const out: StatusResourceRef = {
    apiVersion: required(r.apiVersion, `${what}.apiVersion`),
    kind: required(r.kind, `${what}.kind`),
    name: required(r.name, `${what}.name`),
  };
  if (r.namespace) out.namespace = r.namespace;
  return out;
}

function enumValue<E extends number, T>(table: Partial<Record<E, T>>, value: E, what: string): T {
  const mapped = table[value];
  if (mapped === undefined) reject(`${what} ${String(value)} is not a known value`);
  return mapped;
}

function results(list: WireResourceResult[]): StatusResourceResult[] {
  return list.map((r, i) => {
    const out: StatusResourceResult = {
      ref: ref(r.ref, `resources[${i}].ref`),
      action: enumValue(actions, r.action, `resources[${i}].action`),
    };
    if (r.reason) out.reason = r.reason;
    if (r.message) out.message = r.message;
    return out;
  });
}

const isSecret = (r: StatusResourceRef) => r.kind === 'Secret' && r.apiVersion === 'v1';

function parseJson(text: string | undefined, what: string): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return reject(`${what} is not JSON`);
  }
}

// The agent redacts Secret values; the log must never hold one even from a faulty agent.
function driftFields(list: WireDriftField[], resource: StatusResourceRef): StatusDriftField[] {
  const secret = isSecret(resource);
  return list.map((f, i) => {
    const path = required(f.path, `fields[${i}].path`);
    const out: StatusDriftField = { path };
    const desired = parseJson(f.desiredJson, `fields[${i}].desired`);
    const live = parseJson(f.liveJson, `fields[${i}].live`);
    const hide = secret && path !== '/type' && !path.startsWith('/metadata/');
    if (desired !== undefined) out.desired = hide ? REDACTED : desired;
    if (live !== undefined) out.live = hide ? REDACTED : live;
    return out;
  });
}

function syncBase(
  clusterId: string,
  value: {
    application: string;
    assignment?: { revision: bigint; commit: string; bundleDigest: string };
    at?: Timestamp;
  },
): SyncData {
  const assignment = required(value.assignment, 'assignment');
  return {
    clusterId,
    application: required(value.application, 'application'),
    revision: Number(assignment.revision),
    commit: assignment.commit,
    bundleDigest: assignment.bundleDigest,
    at: at(value.at),
  };
}

/** The contract's event for a decoded report (throws StatusReportRejectedError when it cannot be one). */
export function statusEventOf(report: StatusReport, clusterId: string): StatusEvent {
  const r = report.report;
  switch (r.case) {
    case 'syncStarted':
      return { type: 'SyncStarted', data: syncBase(clusterId, r.value) };
    case 'syncSucceeded':
      return {
        type: 'SyncSucceeded',
        data: {
          ...syncBase(clusterId, r.value),
          // Reasons stay: a success can still leave an object alone (NotOwned), and the per-resource view says why.
          resources: results(r.value.resources),
        },
      };
    case 'syncFailed':
      return {
        type: 'SyncFailed',
        data: { ...syncBase(clusterId, r.value), message: r.value.message, resources: results(r.value.resources) },
      };
    case 'healthChanged': {
      const v = r.value;
      const data: HealthChanged['data'] = {
        clusterId,
        application: required(v.application, 'application'),
        status: enumValue(healths, v.status, 'status'),
        message: v.message,
        at: at(v.at),
      };
      if (v.previous !== Health.UNSPECIFIED) data.previous = enumValue(healths, v.previous, 'previous');
      if (v.resource) data.resource = ref(v.resource);
      return { type: 'HealthChanged', data };
    }
    case 'driftDetected': {
      const v = r.value;
      const resource = ref(v.resource);
      return {
        type: 'DriftDetected',
        data: {
          clusterId,
          application: required(v.application, 'application'),
          resource,
          reason: enumValue(driftReasons, v.reason, 'reason'),
          fields: driftFields(v.fields, resource),
          mode: enumValue(driftModes, v.mode, 'mode'),
          at: at(v.at),
        },
      };
    }
    case 'driftCorrected': {
      const v = r.value;
      const resource = ref(v.resource);
      return {
        type: 'DriftCorrected',
        data: {
          clusterId,
          application: required(v.application, 'application'),
          resource,
          reason: enumValue(driftReasons, v.reason, 'reason'),
          fields: driftFields(v.fields, resource),
          at: at(v.at),
        },
      };
    }
    case 'driftResolved':
      return {
        type: 'DriftResolved',
        data: {
          clusterId,
          application: required(r.value.application, 'application'),
          resource: ref(r.value.resource),
          at: at(r.value.at),
        },
      };
    case 'applicationRemoved':
      return {
        type: 'ApplicationRemoved',
        data: {
          clusterId,
          application: required(r.value.application, 'application'),
          pruned: r.value.pruned,
          at: at(r.value.at),
        },
      };
    case 'desiredStateRefused': {
      const v = r.value;
      const reason = desiredStateRefusalReasons.find((known) => known === v.reason);
      if (!reason) return reject('desiredStateRefused.reason is not a known refusal reason');
      if (!refusalVias.includes(v.via)) return reject('desiredStateRefused.via is not push, pull, stored or bundle');
      return {
        type: 'DesiredStateRefused',
        data: { clusterId, reason, via: v.via, message: v.message.slice(0, refusalMessageMaxChars), at: at(v.at) },
      };
    }
    default:
      return reject('the report carries no known status');
  }
}

/** A decoded report: the agent's report id, the event id the hub derives from it, and the event. */
export interface DecodedStatusReport {
  reportId: string;
  /** Scoped to the cluster (see report-identity.ts): never the agent's id itself. */
  id: string;
  event: StatusEvent;
}

/**
 * Decodes a report received on a status subject of `subjectClusterId` into the event to
 * append and its id. The subject is what NATS permissions vouch for, so a body naming
 * another cluster is refused rather than recorded on either cluster.
 */
export function decodeStatusReport(bytes: Uint8Array, subjectClusterId: string): DecodedStatusReport {
  let report: StatusReport;
  try {
    report = decodeMessage(StatusReportSchema, bytes);
  } catch (err) {
    throw new StatusReportRejectedError(
      `undecodable StatusReport: ${(err as Error).message}`,
      { clusterId: subjectClusterId },
      {
        cause: err,
      },
    );
  }
  const meta = report.meta!;
  const details = { messageId: meta.id, clusterId: subjectClusterId };
  if (!reportIdPattern.test(meta.id))
    throw new StatusReportRejectedError('meta.id is not a report id (a random UUID, version 4)', {
      clusterId: subjectClusterId,
      // Recorded only when it has a UUID's shape: a refusal never stores free text an agent sent.
      ...(/^[0-9a-f-]{36}$/i.test(meta.id) ? { messageId: meta.id } : {}),
    });
  if (meta.clusterId !== subjectClusterId)
    throw new StatusReportRejectedError(
      `the report names cluster ${JSON.stringify(meta.clusterId)} but was published on cluster ${subjectClusterId}'s subject`,
      details,
    );
  try {
    const reportId = meta.id.toLowerCase();
    return { reportId, id: statusEventId(subjectClusterId, reportId), event: statusEventOf(report, subjectClusterId) };
  } catch (err) {
    if (err instanceof StatusReportRejectedError)
      throw new StatusReportRejectedError(err.reason, details, { cause: err });
    throw err;
  }
}
