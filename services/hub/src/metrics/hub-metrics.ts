import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';

/** Buckets (seconds) for how long a commit takes to reach a cluster: sub-second on a quiet fleet, minutes when stuck. */
const rolloutBuckets = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600];
/** Buckets (seconds) for one render job: plain YAML in milliseconds, a Helm chart in seconds. */
const renderBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The hub's Prometheus metrics, served at GET /metrics. One registry per hub (not prom-client's
 * global one), so several hubs in one test process do not collide.
 *
 * Fleet-wide gauges are read from the read models at scrape time, so every replica answers the
 * same and a restart loses nothing; latencies and counters are this replica's own observations
 * (sum them over replicas). No label carries a cluster or application name: the cardinality
 * stays fixed however large the fleet grows, and /metrics names nobody.
 */
@Injectable()
export class HubMetrics {
  readonly registry = new Registry();

  /** Commit observed (CommitObserved) to applied on a cluster (SyncSucceeded of that commit). */
  readonly commitToAppliedSeconds = new Histogram({
    name: 'flotilla_hub_commit_to_applied_seconds',
    help: 'Time from the hub seeing a commit to a cluster reporting it applied, per (cluster, application).',
    buckets: rolloutBuckets,
    registers: [this.registry],
  });

  /** The hub's part of a rollout: commit observed to the cluster's DesiredStateAssigned carrying it. */
  readonly commitToAssignedSeconds = new Histogram({
    name: 'flotilla_hub_commit_to_assigned_seconds',
    help: 'Time from the hub seeing a commit to assigning it to a cluster (render, store, sign), per (cluster, application).',
    buckets: rolloutBuckets,
    registers: [this.registry],
  });

  readonly renderSeconds = new Histogram({
    name: 'flotilla_hub_render_seconds',
    help: 'Duration of one render job (one application at one commit for its clusters), by outcome.',
    labelNames: ['outcome'] as const,
    buckets: renderBuckets,
    registers: [this.registry],
  });

  readonly renderFailures = new Counter({
    name: 'flotilla_hub_render_failures_total',
    help: '(application, cluster) pairs whose render failed (RenderFailed), as rendered by this replica.',
    registers: [this.registry],
  });

  readonly natsReconnects = new Counter({
    name: 'flotilla_hub_nats_reconnects_total',
    help: 'Times a NATS connection of this replica reconnected after losing its server.',
    labelNames: ['connection'] as const,
    registers: [this.registry],
  });

  constructor(dataSource: DataSource) {
    collectDefaultMetrics({ register: this.registry, prefix: 'flotilla_hub_' });
    // Series present from the start (at 0), so a dashboard's rate() sees the first reconnect.
    for (const connection of ['application', 'system']) this.natsReconnects.inc({ connection }, 0);
    const query = <T>(sql: string) => dataSource.query<T[]>(sql);

    new Gauge({
      name: 'flotilla_hub_clusters',
      help: 'Registered clusters by connection state (the read model; every replica answers the same).',
      labelNames: ['connection'] as const,
      registers: [this.registry],
      async collect() {
        const rows = await query<{ connection: string; n: string }>(
          `SELECT connection, count(*) AS n FROM hub_clusters WHERE deregistered_at IS NULL GROUP BY connection`,
        );
        this.reset();
        // Every state is always present, so a dashboard sees 0 rather than a missing series.
        for (const state of ['connected', 'disconnected', 'pending']) this.set({ connection: state }, 0);
        for (const row of rows) this.set({ connection: row.connection }, Number(row.n));
      },
    });

    new Gauge({
      name: 'flotilla_hub_drifted_resources',
      help: 'Resources whose live state differs from the desired one now, fleet-wide.',
      registers: [this.registry],
      async collect() {
        const [row] = await query<{ n: string }>(`SELECT count(*) AS n FROM hub_drift`);
        this.set(Number(row?.n ?? 0));
      },
    });
  }

  /** Adds a metric whose value lives elsewhere (a NATS-side part that only some hubs run). */
  register<T extends Counter | Gauge>(make: (registry: Registry) => T): T {
    return make(this.registry);
  }
}
