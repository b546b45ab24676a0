import { createServer, type Server } from 'node:http';
import type { NatsConnection } from '@nats-io/transport-node';
import { AgentConfigError } from './errors';
import type { Outbox } from './report';

export interface AgentMetricsOptions {
  host: string;
  port: number;
}

export interface AgentMetricsServer {
  /** The port it listens on (the one asked for, or the one the system chose for 0). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * GET /metrics for Prometheus on the agent: connection, reconnects and the status outbox's
 * depth (reports journaled and not yet acknowledged: what a hub or NATS outage piles up), plus
 * Node's process metrics. prom-client is loaded only when metrics are asked for, so an agent
 * without them carries none of it (the agent's memory is a budget, see bench:agent).
 */
export async function startAgentMetrics(
  options: AgentMetricsOptions,
  parts: { nc: NatsConnection; outbox: Outbox | undefined },
): Promise<AgentMetricsServer> {
  const prom = await import('prom-client');
  const registry = new prom.Registry();
  prom.collectDefaultMetrics({ register: registry, prefix: 'flotilla_agent_' });
  new prom.Gauge({
    name: 'flotilla_agent_nats_connected',
    help: '1 while the agent is connected to NATS, else 0.',
    registers: [registry],
    collect() {
      this.set(connected ? 1 : 0);
    },
  });
  const reconnects = new prom.Counter({
    name: 'flotilla_agent_nats_reconnects_total',
    help: 'Times the agent reconnected to NATS after losing its server.',
    registers: [registry],
  });
  const { outbox } = parts;
  if (outbox) {
    new prom.Gauge({
      name: 'flotilla_agent_outbox_pending_reports',
      help: 'Status reports journaled by the agent and not yet acknowledged by the hub side.',
      registers: [registry],
      collect() {
        this.set(outbox.pending().entries);
      },
    });
    new prom.Gauge({
      name: 'flotilla_agent_outbox_pending_bytes',
      help: 'Bytes of status reports journaled and not yet acknowledged.',
      registers: [registry],
      collect() {
        this.set(outbox.pending().bytes);
      },
    });
    new prom.Counter({
      name: 'flotilla_agent_outbox_published_total',
      help: 'Status reports the outbox published and saw acknowledged.',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(outbox.stats().published);
      },
    });
  }

  let connected = !parts.nc.isClosed();
  void (async () => {
    for await (const status of parts.nc.status()) {
      if (status.type === 'disconnect') connected = false;
      else if (status.type === 'reconnect') {
        connected = true;
        reconnects.inc();
      }
    }
    connected = false;
  })();

  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics is served here\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new AgentConfigError(
          `cannot serve metrics on ${options.host}:${options.port} (--metrics-port): ${err.code ?? err.message}`,
          { cause: err },
        ),
      ),
    );
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : options.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
