import { createUser } from '@nats-io/nkeys';
import { startKubeApiServer, type KubeApiServer } from '@flotilla/testing';
import type { AgentCredentials } from './agent-credentials';
import { KubeSecretCredentialsStore } from './kube-secret-credentials-store';

// Against the real kube-apiserver: the Secret the agent keeps its credentials in.
describe('KubeSecretCredentialsStore (real kube-apiserver)', () => {
  let kube: KubeApiServer;
  let core: import('@kubernetes/client-node').CoreV1Api;
  beforeAll(async () => {
    kube = await startKubeApiServer();
    const k8s = await import('@kubernetes/client-node');
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kube.kubeconfigPath);
    core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: 'flotilla-agent-test' } } });
  }, 120_000);
  afterAll(async () => {
    await kube?.stop();
  });

  const credentials = (name: string): AgentCredentials => ({
    version: 1,
    clusterId: 'c0123456789abcdef',
    clusterName: name,
    seed: new TextDecoder().decode(createUser().getSeed()),
    userJwt: 'eyJ.jwt.sig',
    hubSigningPublicKey: 'pk',
    registeredAt: '2026-11-26T00:00:00.000Z',
  });

  it('has nothing before the first save, then round-trips through a Secret, and replaces it on a second save', async () => {
    const store = new KubeSecretCredentialsStore(core, 'flotilla-agent-test', 'creds');
    expect(await store.load()).toBeUndefined();
    const first = credentials('alpha');
    await store.save(first);
    expect(await new KubeSecretCredentialsStore(core, 'flotilla-agent-test', 'creds').load()).toEqual(first);
    const secret = await core.readNamespacedSecret({ name: 'creds', namespace: 'flotilla-agent-test' });
    expect(secret.type).toBe('Opaque');
    expect(Object.keys(secret.data ?? {})).toEqual(['credentials.json']);
    const second = credentials('beta');
    await store.save(second);
    expect(await store.load()).toEqual(second);
  });
});
