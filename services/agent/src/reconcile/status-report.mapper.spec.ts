import { DriftMode, DriftReason, Health, ResourceAction } from '@flotilla/contracts';
import { toStatusReport, type AssignmentContext } from './status-report.mapper';

const envelope = {
  id: '6f1d3c1e-8f0b-4c2a-9a59-3c1f0d2b7e11',
  clusterId: 'c1',
  sentAt: new Date('2026-11-01T12:00:00Z'),
};
const context: AssignmentContext = { revision: 4, commit: 'abc', bundleDigest: 'sha256:1', driftMode: 'correct' };
const at = '2026-11-01T12:00:01.000Z';
const ref = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'web', name: 'settings' };

describe('reconcile event -> status report', () => {
  it('carries the assignment of the bundle being synced, and the envelope', () => {
    const { kind, report } = toStatusReport(
      {
        type: 'SyncSucceeded',
        application: 'web',
        bundleDigest: 'sha256:1',
        at,
        resources: [{ ref, action: 'configured' }],
      },
      envelope,
      context,
    );
    expect(kind).toBe('sync-succeeded');
    expect(report.meta).toMatchObject({ id: envelope.id, clusterId: 'c1' });
    expect(report.report.case).toBe('syncSucceeded');
    if (report.report.case !== 'syncSucceeded') return;
    expect(report.report.value.assignment).toMatchObject({ revision: 4n, commit: 'abc', bundleDigest: 'sha256:1' });
    expect(report.report.value.resources[0]).toMatchObject({
      action: ResourceAction.CONFIGURED,
      ref: { name: 'settings' },
    });
  });

  it('does not attach a commit to a bundle the current assignment does not name', () => {
    const { report } = toStatusReport(
      { type: 'SyncStarted', application: 'web', bundleDigest: 'sha256:old', at },
      envelope,
      context,
    );
    if (report.report.case !== 'syncStarted') throw new Error(report.report.case);
    expect(report.report.value.assignment).toMatchObject({ revision: 0n, commit: '', bundleDigest: 'sha256:old' });
  });

  it('encodes drift values as JSON text, absent stays absent, and the mode comes from the policy', () => {
    const { kind, report } = toStatusReport(
      {
        type: 'DriftDetected',
        application: 'web',
        resource: ref,
        reason: 'modified',
        fields: [
          { path: '/data/a', desired: { n: 1 }, live: undefined },
          { path: '/data/b', desired: null, live: 'x' },
        ],
        at,
      },
      envelope,
      context,
    );
    expect(kind).toBe('drift-detected');
    if (report.report.case !== 'driftDetected') throw new Error(report.report.case);
    const v = report.report.value;
    expect(v.mode).toBe(DriftMode.CORRECT);
    expect(v.reason).toBe(DriftReason.MODIFIED);
    expect(v.fields[0]!.desiredJson).toBe('{"n":1}');
    expect(v.fields[0]!.liveJson).toBeUndefined();
    expect(v.fields[1]!.desiredJson).toBe('null');
    expect(v.fields[1]!.liveJson).toBe('"x"');
  });

  it('maps health with and without a resource, and ApplicationRemoved', () => {
    const app = toStatusReport(
      { type: 'HealthChanged', application: 'web', status: 'healthy', previous: 'progressing', message: 'ok', at },
      envelope,
      undefined,
    ).report.report;
    if (app.case !== 'healthChanged') throw new Error(app.case);
    expect(app.value).toMatchObject({ status: Health.HEALTHY, previous: Health.PROGRESSING });
    expect(app.value.resource).toBeUndefined();
    const removed = toStatusReport(
      { type: 'ApplicationRemoved', application: 'web', pruned: false, at },
      envelope,
      undefined,
    );
    expect(removed.kind).toBe('application-removed');
    expect(removed.report.report).toMatchObject({
      case: 'applicationRemoved',
      value: { application: 'web', pruned: false },
    });
  });
});
