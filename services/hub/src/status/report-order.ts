// Per-cluster order of status reports is the order the agent reported in, not the order they
// reach the hub. Arrival order breaks when a consumer dies holding unacknowledged reports:
// JetStream redelivers them only after the ack wait, by which time a replica (or the restarted
// hub) has been handed the agent's later reports. So each report carries its outbox's epoch
// and sequence (Headers.outboxEpoch/outboxSequence), the hub keeps, per cluster, the last one
// it recorded, and a report that comes ahead of a missing predecessor waits (is redelivered
// later) until the predecessor is recorded, or until the wait is long enough that the
// predecessor can no longer be in flight (then the gap is accepted: it was refused by the hub
// or never journaled by the agent).

/** Where a report stands in its sender's order. */
export interface ReportPlace {
  /** The outbox's epoch: a new one (a wiped state directory) restarts the sequence at 1. */
  epoch: string;
  seq: number;
}

/**
 * - `next`: the report follows what is recorded (or is report 1 and nothing is): record it.
 * - `seen`: at or before what is recorded: a redelivery (its id is recorded) or, rarely, a
 *   straggler that arrives after a gap was accepted.
 * - `early`: a predecessor is missing: wait for it.
 */
export type ReportVerdict = 'next' | 'seen' | 'early';

export function placeReport(recorded: ReportPlace | undefined, report: ReportPlace): ReportVerdict {
  // Nothing recorded yet is no licence to take any report: after a Postgres outage the
  // redelivery of reports 1-6 came after 7-30 and 7 was recorded first (postgres-outage fault
  // test). Only a first report is next; a later one waits for it (or for the gap wait).
  if (!recorded) return report.seq === 1 ? 'next' : 'early';
  if (report.epoch !== recorded.epoch) return report.seq === 1 ? 'next' : 'early';
  if (report.seq <= recorded.seq) return 'seen';
  return report.seq === recorded.seq + 1 ? 'next' : 'early';
}

/** The place a message's headers give, or undefined for a sender without an outbox order. */
export function reportPlaceOf(epoch: string | undefined, seq: string | undefined): ReportPlace | undefined {
  if (!epoch || !seq || !/^[1-9][0-9]{0,15}$/.test(seq) || epoch.length > 64) return undefined;
  const n = Number(seq);
  return Number.isSafeInteger(n) ? { epoch, seq: n } : undefined;
}

/** The metadata key under which a status event keeps its report's place. */
export const reportPlaceKey = 'report';
