import { randomUUID } from 'node:crypto';
import { create, toBinary } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { DriftMode, DriftReason, Health, messageMeta, StatusReportSchema } from '@flotilla/contracts';
import { decodeStatusReport, StatusReportRejectedError } from './status-event.mapping';
import { statusEventId } from './report-identity';
import { reports } from './testing/status-reports';

const bytes = (r: Parameters<typeof toBinary<typeof StatusReportSchema>>[1]) => toBinary(StatusReportSchema, r);
const rejection = (fn: () => unknown): StatusReportRejectedError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof StatusReportRejectedError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
};

describe('status report -> status event', () => {
  it('maps a sync report to the contract event with an event id scoped to the cluster', () => {
    const report = reports.syncStarted('c1', 'web', { revision: 7, commit: 'abc', bundle: 'sha256:1' });
    const { id, reportId, event } = decodeStatusReport(bytes(report), 'c1');
    expect(reportId).toBe(report.meta!.id);
    expect(id).toBe(statusEventId('c1', report.meta!.id));
    // The same report id from another cluster is another event.
    const other = reports.syncStarted('c2', 'web', { revision: 7, commit: 'abc', bundle: 'sha256:1' }, reportId);
    expect(decodeStatusReport(bytes(other), 'c2').id).not.toBe(id);
    expect(event).toEqual({
      type: 'SyncStarted',
      data: {
        clusterId: 'c1',
        application: 'web',
        revision: 7,
        commit: 'abc',
        bundleDigest: 'sha256:1',
        at: expect.any(String),
      },
    });
  });

  it('keeps absent drift values absent and redacts Secret values even if an agent forgot to', () => {
    const report = create(StatusReportSchema, {
      meta: messageMeta({ id: randomUUID(), clusterId: 'c1', sentAt: new Date() }),
      report: {
        case: 'driftDetected',
        value: {
          application: 'web',
          resource: { apiVersion: 'v1', kind: 'Secret', namespace: 'web', name: 'db' },
          reason: DriftReason.MODIFIED,
          fields: [
            { path: '/data/password', desiredJson: '"cGxhaW4="', liveJson: '"b3RoZXI="' },
            { path: '/data/added', liveJson: '"eA=="' },
            { path: '/metadata/labels/team', desiredJson: '"a"', liveJson: '"b"' },
          ],
          mode: DriftMode.CORRECT,
          at: timestampFromDate(new Date()),
        },
      },
    });
    const { event } = decodeStatusReport(bytes(report), 'c1');
    expect(event.type).toBe('DriftDetected');
    expect((event.data as { fields: unknown[] }).fields).toEqual([
      { path: '/data/password', desired: '<redacted>', live: '<redacted>' },
      { path: '/data/added', live: '<redacted>' },
      { path: '/metadata/labels/team', desired: 'a', live: 'b' },
    ]);
    expect((event.data as { mode: string }).mode).toBe('correct');
  });

  it('maps application health without a resource and with its previous state', () => {
    const report = reports.healthChanged('c1', 'web', Health.DEGRADED);
    const { event } = decodeStatusReport(bytes(report), 'c1');
    expect(event).toMatchObject({ type: 'HealthChanged', data: { status: 'degraded', message: '' } });
    expect('resource' in event.data).toBe(false);
    expect('previous' in event.data).toBe(false);
  });

  it('rejects a body naming another cluster than its subject, naming both ids', () => {
    const report = reports.healthChanged('c2', 'web', Health.HEALTHY);
    const err = rejection(() => decodeStatusReport(bytes(report), 'c1'));
    expect(err.reason).toMatch(/names cluster "c2"/);
    expect(err.details).toEqual({ messageId: report.meta!.id, clusterId: 'c1' });
  });

  it('rejects garbage, a missing id, a non-UUID id, an empty report and unknown enum values', () => {
    expect(rejection(() => decodeStatusReport(new TextEncoder().encode('not protobuf at all'), 'c1')).reason).toMatch(
      /undecodable/,
    );
    const noId = create(StatusReportSchema, { meta: messageMeta({ id: '', clusterId: 'c1', sentAt: new Date() }) });
    expect(rejection(() => decodeStatusReport(bytes(noId), 'c1')).reason).toMatch(/meta\.id/);
    const badId = reports.healthChanged('c1', 'web', Health.HEALTHY, 'not-a-uuid');
    expect(rejection(() => decodeStatusReport(bytes(badId), 'c1')).reason).toMatch(/UUID/);
    // Only random (v4) UUIDs: the v5/v7/v8 forms are the hub's own ids.
    for (const hubForm of [
      '6f1c1d1e-8a4b-5c2d-9e0f-112233445566',
      '019ae9a0-8a4b-7c2d-9e0f-112233445566',
      '6f1c1d1e-8a4b-8c2d-9e0f-112233445566',
    ]) {
      const forged = reports.healthChanged('c1', 'web', Health.HEALTHY, hubForm);
      const err = rejection(() => decodeStatusReport(bytes(forged), 'c1'));
      expect(err.reason).toMatch(/version 4/);
      expect(err.details).toEqual({ messageId: hubForm, clusterId: 'c1' });
    }
    const empty = create(StatusReportSchema, {
      meta: messageMeta({ id: randomUUID(), clusterId: 'c1', sentAt: new Date() }),
    });
    expect(rejection(() => decodeStatusReport(bytes(empty), 'c1')).reason).toMatch(/no known status/);
    const unknownHealth = reports.healthChanged('c1', 'web', Health.UNSPECIFIED);
    expect(rejection(() => decodeStatusReport(bytes(unknownHealth), 'c1')).reason).toMatch(/status 0/);
  });
});
