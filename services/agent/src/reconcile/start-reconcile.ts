import type { KubeConfig } from '@kubernetes/client-node';
import { Reconciler, type AgentScope, type Durations } from '@flotilla/kube';
import type { DesiredStateFeed } from './desired-state-feed';
import { ReconcileLoop } from './reconcile-loop';
import { ReconcileStateStore } from './reconcile-state.store';
import { StatusReporter, type StatusOutbox } from './status-reporter';

export interface StartReconcileOptions {
  clusterId: string;
  feed: DesiredStateFeed;
  /** The agent's own cluster (kubeconfig or in-cluster). */
  kubeConfig: KubeConfig;
  scope: AgentScope;
  inventoryNamespace: string;
  /** The agent's state directory (the outbox's too). */
  stateDir: string;
  outbox: StatusOutbox;
  log: (line: string) => void;
  /** Tests shorten the reconciler's intervals. */
  kubeDurations?: Partial<Durations>;
  retryInitialMs?: number;
  retryMaxMs?: number;
}

export interface RunningReconcile {
  loop: ReconcileLoop;
  reporter: StatusReporter;
  /** Stops the loop, then waits until every report handed over is journaled. */
  stop(): Promise<void>;
}

/** Wires feed -> ReconcileLoop -> Reconciler -> StatusReporter -> outbox, and starts it. */
export async function startReconcile(options: StartReconcileOptions): Promise<RunningReconcile> {
  const reporter = new StatusReporter({
    clusterId: options.clusterId,
    outbox: options.outbox,
    onError: (error, event) =>
      options.log(
        `status report ${event.type}${'application' in event ? ` of ${event.application}` : ''} was not journaled: ${error.message}`,
      ),
  });
  const loop = new ReconcileLoop({
    clusterId: options.clusterId,
    feed: options.feed,
    reconciler: (onEvent) =>
      new Reconciler(options.kubeConfig, {
        scope: options.scope,
        inventoryNamespace: options.inventoryNamespace,
        onEvent,
        ...(options.kubeDurations ? { durations: options.kubeDurations } : {}),
      }),
    report: (event, context) => reporter.report(event, context),
    state: new ReconcileStateStore(options.stateDir),
    log: options.log,
    ...(options.retryInitialMs !== undefined ? { retryInitialMs: options.retryInitialMs } : {}),
    ...(options.retryMaxMs !== undefined ? { retryMaxMs: options.retryMaxMs } : {}),
  });
  await loop.start();
  return {
    loop,
    reporter,
    async stop() {
      await loop.stop();
      await reporter.settled();
    },
  };
}
