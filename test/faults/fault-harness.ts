import { jetstreamManager, jetstream, DeliverPolicy } from '@nats-io/jetstream';
import type { RecordedEvent } from '@flotilla/event-store';
import { eventually, pendingOutboxEntries, type GitopsCluster, type GitopsFleet } from '../e2e/gitops-harness';

/**
 * What every kill -9 test checks after recovery: each report an agent sent (every message of
 * its cluster in FLOTILLA_STATUS, by Nats-Msg-Id) is in the log exactly once with that causation id, and
 * nothing else was recorded as the agent's.
 */
export interface ReportAccounting {
  sent: number;
  recorded: number;
  lost: string[];
  duplicated: string[];
  unexpected: string[];
}

/** Waits until the agent's outbox is empty and the hub's consumer has nothing pending or unacknowledged. */
export async function waitForReportsSettled(g: GitopsFleet, cluster: GitopsCluster, timeoutMs: number): Promise<void> {
  await eventually(
    async () => ((await pendingOutboxEntries(cluster)).length === 0 ? true : undefined),
    timeoutMs,
    `the outbox of ${cluster.name} drained`,
  );
  const nc = await g.fleet.nats.connect();
  try {
    const jsm = await jetstreamManager(nc);
    await eventually(
      async () => {
        const info = await jsm.consumers.info('FLOTILLA_STATUS', 'flotilla-hub-status');
        return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
      },
      timeoutMs,
      'the hub consumer caught up with FLOTILLA_STATUS (nothing pending or unacknowledged)',
    );
  } finally {
    await nc.close();
  }
}

/** The message ids of every report of the cluster in FLOTILLA_STATUS, in stream order. */
export async function sentReportIds(g: GitopsFleet, cluster: GitopsCluster): Promise<string[]> {
  const nc = await g.fleet.nats.connect();
  try {
    const js = jetstream(nc);
    const consumer = await js.consumers.get('FLOTILLA_STATUS', {
      // One subject as a string: nats-server 2.9 knows filter_subject only.
      filter_subjects: `flotilla.v1.agent.${cluster.id}.status.>`,
      deliver_policy: DeliverPolicy.All,
    });
    const ids: string[] = [];
    for (;;) {
      const msg = await consumer.next({ expires: 2_000 });
      if (!msg) break;
      ids.push(msg.headers?.get('Nats-Msg-Id') ?? `(no id, seq ${msg.seq})`);
      if (msg.info.pending === 0) break;
    }
    return ids;
  } finally {
    await nc.close();
  }
}

const registrationEvents = new Set([
  'RegistrationTokenUsed',
  'ClusterRegistered',
  'ClusterNameClaimed',
  'ClusterKeyClaimed',
]);

export async function accountReports(g: GitopsFleet, cluster: GitopsCluster): Promise<ReportAccounting> {
  const sent = await sentReportIds(g, cluster);
  const events: RecordedEvent[] = await g.allEvents();
  // The agent's registration is recorded under its name too, but came over request/reply, not as a report.
  const recorded = events.filter((e) => e.metadata.actor === `agent:${cluster.id}` && !registrationEvents.has(e.type));
  // A report's event id is the hub's (UUIDv5 of cluster and report id); the report id the agent
  // sent as Nats-Msg-Id is kept as the event's causation id.
  const reportId = (e: RecordedEvent) => e.metadata.causationId ?? e.id;
  const counts = new Map<string, number>();
  for (const e of recorded) counts.set(reportId(e), (counts.get(reportId(e)) ?? 0) + 1);
  const sentSet = new Set(sent);
  return {
    sent: sent.length,
    recorded: recorded.length,
    lost: sent.filter((id) => !counts.has(id)),
    duplicated: [...counts].filter(([, n]) => n > 1).map(([id]) => id),
    unexpected: recorded.filter((e) => !sentSet.has(reportId(e))).map((e) => `${e.type} ${reportId(e)}`),
  };
}
