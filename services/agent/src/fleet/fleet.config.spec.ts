import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadFleetConfig } from './fleet.config';
import { fleetDurations } from './fleet.durations';
import { FleetConfigError } from './fleet.errors';

const required = ['--hub', 'http://hub:8080', '--clusters', '100'];

describe('loadFleetConfig', () => {
  test('flags, with defaults beside their declarations', () => {
    const config = loadFleetConfig([...required, '--labels', 'env=prod,region=eu'], { FLOTILLA_TOKEN: 'secret' });
    expect(config).toMatchObject({
      hubUrl: 'http://hub:8080',
      apiToken: 'secret',
      clusters: 100,
      labels: { env: 'prod', region: 'eu' },
      natsUrl: ['nats://127.0.0.1:4222'],
      namePrefix: 'sim',
      heartbeatIntervalMs: fleetDurations.heartbeatIntervalDefaultMs,
      registrationConcurrency: 8,
      emulatorPort: 0,
      verbose: false,
    });
  });

  test('the hub URL and token come from the CLI variables, NATS from the agent one; flags win', () => {
    const env = {
      FLOTILLA_HUB_URL: 'https://hub.example.com',
      FLOTILLA_TOKEN: 'from-env',
      FLOTILLA_AGENT_NATS_URL: 'nats://a:4222, nats://b:4222',
      FLOTILLA_FLEET_CLUSTERS: '7',
    };
    expect(loadFleetConfig([], env)).toMatchObject({
      hubUrl: 'https://hub.example.com',
      apiToken: 'from-env',
      natsUrl: ['nats://a:4222', 'nats://b:4222'],
      clusters: 7,
    });
    expect(loadFleetConfig(['--token', 'from-flag', '--clusters', '3'], env)).toMatchObject({
      apiToken: 'from-flag',
      clusters: 3,
    });
  });

  test('names every missing or invalid setting by flag and variable, never echoing a value', () => {
    let error: unknown;
    try {
      loadFleetConfig(['--clusters', '0', '--nats-url', 'http://n'], { FLOTILLA_HUB_URL: 'ftp://x' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(FleetConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(/--hub \(FLOTILLA_HUB_URL\): must be an http/);
    expect(message).toMatch(/--clusters \(FLOTILLA_FLEET_CLUSTERS\)/);
    expect(message).toMatch(/--nats-url \(FLOTILLA_AGENT_NATS_URL\): must be nats/);
    expect(message).not.toContain('ftp://x');
    expect(() => loadFleetConfig(['--clusters', '1'], {})).toThrow(/--hub \(FLOTILLA_HUB_URL\): required/);
  });

  test('the API token is optional: a restart on a state directory with credentials registers nothing', () => {
    expect(loadFleetConfig(required, {}).apiToken).toBeUndefined();
  });

  test('unknown flags and malformed labels are refused', () => {
    expect(() => loadFleetConfig([...required, '--clusterz', '3'], { FLOTILLA_TOKEN: 't' })).toThrow(
      /invalid fleet arguments/,
    );
    expect(() => loadFleetConfig([...required, '--labels', 'env'], { FLOTILLA_TOKEN: 't' })).toThrow(
      /--labels \(FLOTILLA_FLEET_LABELS\): label "env" is not key=value/,
    );
  });

  test('--bootstrap-creds reads the file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'flotilla-fleet-config-'));
    try {
      const file = path.join(dir, 'bootstrap.creds');
      writeFileSync(file, '-----BEGIN NATS USER JWT-----\nx\n------END NATS USER JWT------\n');
      const config = loadFleetConfig([...required, '--bootstrap-creds', file], { FLOTILLA_TOKEN: 't' });
      expect(config.bootstrapCreds).toContain('BEGIN NATS USER JWT');
      expect(() =>
        loadFleetConfig([...required, '--bootstrap-creds', path.join(dir, 'missing')], { FLOTILLA_TOKEN: 't' }),
      ).toThrow(/--bootstrap-creds: cannot read .*ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
