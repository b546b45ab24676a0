import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import {
  DriftMode,
  DriftReason,
  Health,
  messageMeta,
  ResourceAction,
  StatusReportSchema,
  type StatusReport,
} from '@flotilla/contracts';
import type { NewEvent } from '@flotilla/event-store';

/** Reports as an agent builds them (the hub's tests may not import agent code). */
export const reports = {
  meta: (clusterId: string, id: string = randomUUID()) => messageMeta({ id, clusterId, sentAt: new Date() }),

  syncStarted(
    clusterId: string,
    application: string,
    a: { revision: number; commit: string; bundle: string },
    id?: string,
  ): StatusReport {
    return create(StatusReportSchema, {
      meta: reports.meta(clusterId, id),
      report: {
        case: 'syncStarted',
        value: {
          application,
          assignment: { revision: BigInt(a.revision), commit: a.commit, bundleDigest: a.bundle },
          at: timestampFromDate(new Date()),
        },
      },
    });
  },

  syncSucceeded(
    clusterId: string,
    application: string,
    a: { revision: number; commit: string; bundle: string },
    id?: string,
  ): StatusReport {
    return create(StatusReportSchema, {
      meta: reports.meta(clusterId, id),
      report: {
        case: 'syncSucceeded',
        value: {
          application,
          assignment: { revision: BigInt(a.revision), commit: a.commit, bundleDigest: a.bundle },
          at: timestampFromDate(new Date()),
          resources: [
            {
              ref: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'web', name: 'settings' },
              action: ResourceAction.CREATED,
            },
          ],
        },
      },
    });
  },

  healthChanged(clusterId: string, application: string, status: Health, id?: string): StatusReport {
    return create(StatusReportSchema, {
      meta: reports.meta(clusterId, id),
      report: { case: 'healthChanged', value: { application, status, message: '', at: timestampFromDate(new Date()) } },
    });
  },

  driftDetected(clusterId: string, application: string, name: string, kind = 'ConfigMap', id?: string): StatusReport {
    return create(StatusReportSchema, {
      meta: reports.meta(clusterId, id),
      report: {
        case: 'driftDetected',
        value: {
          application,
          resource: { apiVersion: 'v1', kind, namespace: 'web', name },
          reason: DriftReason.MODIFIED,
          fields: [{ path: '/data/level', desiredJson: '"safe"', liveJson: '"tampered"' }],
          mode: DriftMode.DETECT,
          at: timestampFromDate(new Date()),
        },
      },
    });
  },

  driftResolved(clusterId: string, application: string, name: string, id?: string): StatusReport {
    return create(StatusReportSchema, {
      meta: reports.meta(clusterId, id),
      report: {
        case: 'driftResolved',
        value: {
          application,
          resource: { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'web', name },
          at: timestampFromDate(new Date()),
        },
      },
    });
  },
};

/** A ClusterRegistered event with every field the clusters projection reads. */
export function clusterRegistered(clusterId: string, name = clusterId): NewEvent {
  return {
    type: 'ClusterRegistered',
    data: {
      clusterId,
      name,
      labels: {},
      publicKey: 'UTEST',
      agentVersion: 'test',
      kubernetesVersion: 'v1.30.0',
      tokenId: 'tok',
      registeredAt: new Date().toISOString(),
    },
  };
}
