import { loadAgentConfig } from './agent.config';
import { AgentConfigError } from './errors';

describe('loadAgentConfig', () => {
  it('reads flags over FLOTILLA_AGENT_* variables, with defaults beside the declarations', () => {
    const c = loadAgentConfig(['--cluster-name', 'from-flag', '--credentials-file', '/tmp/c.json'], {
      FLOTILLA_AGENT_CLUSTER_NAME: 'from-env',
      FLOTILLA_AGENT_TOKEN: 'flt_reg_x_y',
      FLOTILLA_AGENT_NATS_URL: 'nats://a:4222, nats://b:4222',
    });
    expect(c.clusterName).toBe('from-flag');
    expect(c.token).toBe('flt_reg_x_y');
    expect(c.natsUrl).toEqual(['nats://a:4222', 'nats://b:4222']);
    expect(c.heartbeatIntervalMs).toBe(10_000);
    expect(c.tracesExporter).toBe('none');
  });

  it('names the flag and the variable of a bad value, never the value', () => {
    const attempt = () =>
      loadAgentConfig(['--credentials-file', '/tmp/c.json', '--heartbeat-interval-ms', 'soon'], {
        FLOTILLA_AGENT_NATS_URL: 'http://secret-host',
      });
    expect(attempt).toThrow(AgentConfigError);
    expect(attempt).toThrow(/--heartbeat-interval-ms \(FLOTILLA_AGENT_HEARTBEAT_INTERVAL_MS\)/);
    expect(attempt).toThrow(/--nats-url \(FLOTILLA_AGENT_NATS_URL\)/);
    expect(attempt).not.toThrow(/secret-host|soon/);
  });

  it('needs a place for credentials, and at most one way to reach the cluster', () => {
    expect(() => loadAgentConfig([], {})).toThrow(/--credentials-file, or --kubeconfig\/--in-cluster/);
    expect(() => loadAgentConfig(['--kubeconfig', 'k', '--in-cluster'], {})).toThrow(/not both/);
    expect(loadAgentConfig(['--in-cluster'], {}).namespace).toBe('flotilla-system');
    // A file for credentials beside a cluster to reconcile (a laptop, the demo, the tests).
    const both = loadAgentConfig(['--credentials-file', 'x', '--kubeconfig', 'k'], {});
    expect([both.credentialsFile, both.kubeconfig]).toEqual(['x', 'k']);
  });

  it('refuses unknown flags', () => {
    expect(() => loadAgentConfig(['--tokn', 'x'], {})).toThrow(/Unknown option '--tokn'/);
  });
});
