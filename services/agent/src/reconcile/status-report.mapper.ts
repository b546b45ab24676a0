import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  AssignmentRefSchema,
  DriftFieldSchema,
  DriftMode,
  DriftReason,
  Health,
  ResourceAction,
  ResourceRefSchema,
  ResourceResultSchema,
  StatusReportSchema,
  messageMeta,
  statusKinds,
  type StatusKind,
  type StatusReport,
} from '@flotilla/contracts';
import type { DriftField, HealthStatus, ReconcileEvent, ResourceRef, ResourceResult } from '@flotilla/kube';

/** The assignment a sync was about, as the desired state named it (the reconciler knows only the bundle). */
export interface AssignmentContext {
  revision: number;
  commit: string;
  bundleDigest: string;
  driftMode: 'detect' | 'correct';
}

/** What the reconcile loop adds to the reconciler's events: an application it stopped running. */
export interface ApplicationRemovedEvent {
  type: 'ApplicationRemoved';
  application: string;
  pruned: boolean;
  at: string;
}

/** A desired state or bundle the agent refused (inbound/desired-state.ts): nothing of it was applied. */
export interface DesiredStateRefusedEvent {
  type: 'DesiredStateRefused';
  reason: string;
  message: string;
  via: string;
  at: string;
}

export type AgentStatusEvent = ReconcileEvent | ApplicationRemovedEvent | DesiredStateRefusedEvent;

export interface ReportEnvelope {
  /** The report id (a fresh random UUID, v4): Nats-Msg-Id; the hub derives the event id from it and the cluster. */
  id: string;
  clusterId: string;
  sentAt: Date;
}

const healths: Record<HealthStatus, Health> = {
  healthy: Health.HEALTHY,
  progressing: Health.PROGRESSING,
  degraded: Health.DEGRADED,
  missing: Health.MISSING,
};

const actions: Record<ResourceResult['action'], ResourceAction> = {
  created: ResourceAction.CREATED,
  configured: ResourceAction.CONFIGURED,
  unchanged: ResourceAction.UNCHANGED,
  pruned: ResourceAction.PRUNED,
  failed: ResourceAction.FAILED,
};

const reasons = { missing: DriftReason.MISSING, modified: DriftReason.MODIFIED } as const;

const ts = (at: string) => timestampFromDate(new Date(at));

function ref(r: ResourceRef) {
  return create(ResourceRefSchema, {
    apiVersion: r.apiVersion,
    kind: r.kind,
    namespace: r.namespace ?? '',
    name: r.name,
  });
}

function results(list: ResourceResult[]) {
  return list.map((r) =>
    create(ResourceResultSchema, {
      ref: ref(r.ref),
      action: actions[r.action],
      reason: r.reason ?? '',
      message: r.message ?? '',
    }),
  );
}

// Drift values are arbitrary JSON; absent (undefined) stays absent rather than becoming "null".
function fields(list: DriftField[]) {
  return list.map((f) => {
    const desired = f.desired === undefined ? undefined : JSON.stringify(f.desired);
    const live = f.live === undefined ? undefined : JSON.stringify(f.live);
    return create(DriftFieldSchema, {
      path: f.path,
      ...(desired === undefined ? {} : { desiredJson: desired }),
      ...(live === undefined ? {} : { liveJson: live }),
    });
  });
}

function assignmentOf(bundle: string, context: AssignmentContext | undefined) {
  // The event's bundle is authoritative; the commit and revision belong to it only if the
  // assignment in force names the same bundle.
  const same = context?.bundleDigest === bundle;
  return create(AssignmentRefSchema, {
    revision: BigInt(same ? context.revision : 0),
    commit: same ? context.commit : '',
    bundleDigest: bundle,
  });
}

/**
 * Turns one status event into the wire report and the `<kind>` of its subject. Pure: the id
 * and the send time come in with the envelope.
 */
export function toStatusReport(
  event: AgentStatusEvent,
  envelope: ReportEnvelope,
  context: AssignmentContext | undefined,
): { kind: StatusKind; report: StatusReport } {
  const meta = messageMeta(envelope);
  if (event.type === 'DesiredStateRefused')
    return {
      kind: statusKinds.desiredStateRefused,
      report: create(StatusReportSchema, {
        meta,
        report: {
          case: 'desiredStateRefused',
          value: { reason: event.reason, message: event.message, via: event.via, at: ts(event.at) },
        },
      }),
    };
  const application = event.application;
  switch (event.type) {
    case 'SyncStarted':
      return {
        kind: statusKinds.syncStarted,
        report: create(StatusReportSchema, {
          meta,
          report: {
            case: 'syncStarted',
            value: { application, assignment: assignmentOf(event.bundleDigest, context), at: ts(event.at) },
          },
        }),
      };
    case 'SyncSucceeded':
      return {
        kind: statusKinds.syncSucceeded,
        report: create(StatusReportSchema, {
          meta,
          report: {
            case: 'syncSucceeded',
            value: {
              application,
              assignment: assignmentOf(event.bundleDigest, context),
              at: ts(event.at),
              resources: results(event.resources),
            },
          },
        }),
      };
    case 'SyncFailed':
      return {
        kind: statusKinds.syncFailed,
        report: create(StatusReportSchema, {
          meta,
          report: {
            case: 'syncFailed',
            value: {
              application,
              assignment: assignmentOf(event.bundleDigest, context),
              at: ts(event.at),
              message: event.message,
              resources: results(event.resources),
            },
          },
        }),
      };
    case 'HealthChanged':
      return {
        kind: statusKinds.healthChanged,
        report: create(StatusReportSchema, {
          meta,
          report: {
            case: 'healthChanged',
            value: {
              application,
              status: healths[event.status],
              previous: event.previous ? healths[event.previous] : Health.UNSPECIFIED,
              ...(event.resource ? { resource: ref(event.resource) } : {}),
              message: event.message,
              at: ts(event.at),
            },
          },
        }),
      };
    case 'DriftDetected':
      return {
        kind: statusKinds.driftDetected,
        report: create(StatusReportSchema, {
          meta,
          report: {
            case: 'driftDetected',
            value: {
              application,
              resource: ref(event.resource),
              reason: reasons[event.reason],
              fields: fields(event.fields),
              mode: context?.driftMode === 'correct' ? DriftMode.CORRECT : DriftMode.DETECT,
              at: ts(event.at),
            },
          },
        }),
      };
    case 'DriftCorrected':
      return {
        kind: statusKinds.driftCorrected,
        report: create(StatusReportSchema, {
          meta,
          report: {
            case: 'driftCorrected',
            value: {
              application,
              resource: ref(event.resource),
              reason: reasons[event.reason],
              fields: fields(event.fields),
              at: ts(event.at),
            },
          },
        }),
      };
    case 'DriftResolved':
      return {
        kind: statusKinds.driftResolved,
        report: create(StatusReportSchema, {
          meta,
          report: { case: 'driftResolved', value: { application, resource: ref(event.resource), at: ts(event.at) } },
        }),
      };
    case 'ApplicationRemoved':
      return {
        kind: statusKinds.applicationRemoved,
        report: create(StatusReportSchema, {
          meta,
          report: { case: 'applicationRemoved', value: { application, pruned: event.pruned, at: ts(event.at) } },
        }),
      };
  }
}
