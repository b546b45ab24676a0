import { createHash, randomUUID } from 'node:crypto';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { connect, credsAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { Client } from 'pg';
import { desiredStateSubject } from '@flotilla/contracts';
import type { AssignedApplication } from '@flotilla/domain';
import type { RecordedEvent } from '@flotilla/event-store';
import { bundleDigest, canonicalJson, type ManifestObject } from '@flotilla/manifests';
import {
  encodeDesiredStatePayload,
  encodeSignedDesiredState,
  signedDesiredState,
} from '../../services/hub/src/desired-state/desired-state.codec';
import { eventually, readConfigMap, startGitopsFleet, type GitopsCluster, type GitopsFleet } from './gitops-harness';

// Issue 10, "What an application may create": an admin's policy per application, enforced by
// the hub at render and again by the agent, on the real kube-apiserver. The `it`s build on
// each other.
jest.setTimeout(300_000);

const settleMs = 120_000;

const applicationYaml = `apiVersion: flotilla.dev/v1
kind: Application
metadata:
  name: web
spec:
  source: platform
  path: apps/web
  targets:
    - selector:
        matchLabels: { env: prod }
      namespace: web
  syncPolicy:
    automated: true
    prune: true
`;

// A ConfigMap in its own namespace (allowed), a binding to cluster-admin and a ConfigMap in
// kube-system (neither allowed by default).
const reachingOut = `apiVersion: v1
kind: ConfigMap
metadata: { name: settings }
data: { greeting: hello }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: web-is-admin }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin }
subjects:
  - { kind: ServiceAccount, name: default, namespace: web }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: leak, namespace: kube-system }
data: { planted: "yes" }
`;

const granted = {
  namespaces: ['kube-system'],
  clusterScopedKinds: ['rbac.authorization.k8s.io/ClusterRoleBinding'],
  namespacedKinds: ['*'],
};

describe('what an application may create (real hub, agent, kube-apiserver)', () => {
  let g: GitopsFleet;
  let eu: GitopsCluster;
  let rbac: RbacAuthorizationV1Api;
  let commit: string;

  const bindingExists = async (name: string): Promise<boolean> => {
    try {
      await rbac.readClusterRoleBinding({ name });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return false;
      throw err;
    }
  };
  const roleExists = async (name: string): Promise<boolean> => {
    try {
      await rbac.readClusterRole({ name });
      return true;
    } catch (err) {
      if ((err as { code?: number }).code === 404) return false;
      throw err;
    }
  };
  const assignedWeb = (events: RecordedEvent[]) =>
    events
      .filter((e) => e.type === 'DesiredStateAssigned' && e.streamId === `cluster-${eu.id}`)
      .map((e) => e.data as { revision: number; applications: AssignedApplication[] })
      .filter((d) => d.applications.some((a) => a.name === 'web'));

  beforeAll(async () => {
    g = await startGitopsFleet([{ name: 'eu-real', labels: { env: 'prod' }, api: 'kube-apiserver' }]);
    eu = g.clusters['eu-real']!;
    rbac = eu.kc.makeApiClient(RbacAuthorizationV1Api);
    await eu.core.createNamespace({ body: { metadata: { name: 'web' } } });
  }, 300_000);
  afterAll(async () => {
    await g?.close();
  }, 120_000);

  it('by default, a commit with a ClusterRoleBinding and a ConfigMap in kube-system is refused at render, naming each object and rule; nothing is applied', async () => {
    commit = await g.git.commit('web reaches out of its namespace', { 'apps/web/all.yaml': reachingOut });
    await g.addSource(commit, settleMs);
    // Nobody set a policy: anyone can read the default.
    const shown = await g.fleet.api('GET', '/api/v1/applications/web/policy');
    expect(shown.status).toBe(200);
    expect(shown.body).toEqual({
      application: 'web',
      policy: { namespaces: [], clusterScopedKinds: [], namespacedKinds: ['*'] },
      set: false,
    });

    expect((await g.putApplication('web', applicationYaml)).status).toBe(201);
    const failed = await eventually(
      async () => (await g.fleet.events({ types: ['RenderFailed'] })).find((e) => e.streamId === 'application-web'),
      settleMs,
      'RenderFailed of web',
    );
    const errors = (failed.data as { commit: string; errors: Array<{ code: string; reason: string }> }).errors;
    expect((failed.data as { commit: string }).commit).toBe(commit);
    expect(errors).toEqual([
      // In the bundle's order (core group first).
      {
        file: null,
        documentIndex: null,
        code: 'policy-namespace',
        reason:
          "ConfigMap kube-system/leak: namespace kube-system is not allowed by the application's policy (allowed namespaces: web (web: the target's))",
      },
      {
        file: null,
        documentIndex: null,
        code: 'policy-cluster-scoped-kind',
        reason:
          "rbac.authorization.k8s.io/ClusterRoleBinding web-is-admin: cluster-scoped kind rbac.authorization.k8s.io/ClusterRoleBinding is not allowed by the application's policy (allowed cluster-scoped kinds: none)",
      },
    ]);
    // No cluster moves: the reactor is past the refusal and assigned web nowhere.
    await g.reactorPassed(failed.position);
    expect(assignedWeb(await g.allEvents())).toEqual([]);
    const status = await g.fleet.api('GET', '/api/v1/applications/web/status');
    expect(JSON.stringify(status.body)).toContain('web-is-admin');
    expect(await bindingExists('web-is-admin')).toBe(false);
    expect(await readConfigMap(eu, 'kube-system', 'leak')).toBeUndefined();
    expect(await readConfigMap(eu, 'web', 'settings')).toBeUndefined();
  });

  it('only an admin may grant; once granted (recorded with its actor), the same commit applies', async () => {
    const viewer = await g.fleet.api('POST', '/api/v1/api-tokens', { name: 'auditor', role: 'viewer' });
    const operator = await g.fleet.api('POST', '/api/v1/api-tokens', { name: 'deployer', role: 'operator' });
    expect([viewer.status, operator.status]).toEqual([201, 201]);
    for (const token of [viewer.body.token as string, operator.body.token as string]) {
      const response = await fetch(`${g.fleet.hubUrl}/api/v1/applications/web/policy`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(granted),
      });
      expect(response.status).toBe(403);
      await response.text();
    }
    const readByViewer = await fetch(`${g.fleet.hubUrl}/api/v1/applications/web/policy`, {
      headers: { authorization: `Bearer ${viewer.body.token as string}` },
    });
    expect(readByViewer.status).toBe(200);
    await readByViewer.text();
    const malformed = await g.fleet.api('PUT', '/api/v1/applications/web/policy', {
      ...granted,
      namespaces: ['Kube System'],
    });
    expect(malformed.status).toBe(400);

    const set = await g.fleet.api('PUT', '/api/v1/applications/web/policy', granted);
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ application: 'web', policy: granted, set: true });
    const recorded = (await g.fleet.events({ types: ['ApplicationPolicySet'] })).map((e) => ({
      stream: e.streamId,
      data: e.data,
      actor: e.metadata.actor,
    }));
    expect(recorded).toEqual([
      { stream: 'policy-web', data: { application: 'web', policy: granted }, actor: set.body.setBy },
    ]);
    expect(set.body.setBy).toMatch(/^(admin|token:)/);

    await eventually(
      async () => ((await bindingExists('web-is-admin')) ? true : undefined),
      settleMs,
      'the ClusterRoleBinding applied once granted',
    );
    await eventually(
      async () => (await readConfigMap(eu, 'kube-system', 'leak')) ?? undefined,
      settleMs,
      'kube-system/leak applied once granted',
    );
    expect((await readConfigMap(eu, 'web', 'settings'))?.data).toEqual({ greeting: 'hello' });
    const assigned = assignedWeb(await g.allEvents()).at(-1)!;
    expect(assigned.applications.find((a) => a.name === 'web')).toMatchObject({ commit, objectPolicy: granted });
    await eventually(
      async () =>
        (await g.fleet.events({ types: ['SyncSucceeded'] })).find(
          (e) => (e.data as { application: string; revision: number }).revision === assigned.revision,
        ),
      settleMs,
      'SyncSucceeded of the granted revision',
    );
  });

  it('a bundle forged past the hub (signed with its key) carrying objects outside the policy is refused whole by the agent and reported', async () => {
    const current = assignedWeb(await g.allEvents()).at(-1)!;
    const web = current.applications.find((a) => a.name === 'web')!;
    // Sorted as bundles are (group, kind, namespace, name), so the content hashes to the digest.
    const objects: ManifestObject[] = [
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'planted', namespace: 'default' }, data: { x: '1' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'extra', namespace: 'web' }, data: { x: '2' } },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'escalate' },
        rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
      },
    ];
    const content = canonicalJson(objects);
    const digest = bundleDigest(objects);
    expect(`sha256:${createHash('sha256').update(content, 'utf8').digest('hex')}`).toBe(digest);

    // The attacker got past the hub: the bundle is in its store, assigned to the cluster, and
    // the desired state naming it carries web's real policy, signed with the hub's own key.
    const db = new Client({ connectionString: g.fleet.database.url });
    await db.connect();
    try {
      await db.query('INSERT INTO bundles (digest, content, size) VALUES ($1, $2, $3)', [
        digest,
        content,
        Buffer.byteLength(content),
      ]);
      await db.query('INSERT INTO desired_state_bundles (cluster_id, digest) VALUES ($1, $2)', [eu.id, digest]);
    } finally {
      await db.end();
    }
    const revision = current.revision + 1;
    const payload = encodeDesiredStatePayload({
      clusterId: eu.id,
      revision,
      applications: [{ ...web, bundleDigest: digest }],
    });
    const state = signedDesiredState({
      payload,
      clusterId: eu.id,
      sign: (bytes) => g.fleet.authority.sign(bytes),
      messageId: randomUUID(),
      now: new Date(),
    });
    const nc: NatsConnection = await connect({
      servers: g.fleet.nats.url,
      authenticator: credsAuthenticator(new TextEncoder().encode(await g.fleet.authority.hubCreds())),
      timeout: 10_000,
    });
    try {
      nc.publish(desiredStateSubject(eu.id), encodeSignedDesiredState(state));
      await nc.flush();
    } finally {
      await nc.close();
    }

    const refused = await eventually(
      async () =>
        (await g.fleet.events({ types: ['SyncFailed'] })).find(
          (e) => e.streamId === `cluster-${eu.id}` && (e.data as { bundleDigest: string }).bundleDigest === digest,
        ),
      settleMs,
      'SyncFailed of the forged bundle',
    );
    const data = refused.data as {
      message: string;
      resources: Array<{ ref: { kind: string; name: string }; action: string; reason?: string; message?: string }>;
    };
    expect(data.message).toMatch(/^bundle refused, nothing applied: 2 object\(s\) outside the application's policy: /);
    expect(data.resources.map((r) => [r.ref.kind, r.ref.name, r.action, r.reason])).toEqual([
      ['ConfigMap', 'planted', 'failed', 'OutsidePolicy'],
      ['ClusterRole', 'escalate', 'failed', 'OutsidePolicy'],
    ]);
    expect(data.resources[0]!.message).toContain('namespace default is not allowed');
    expect(data.resources[1]!.message).toContain('cluster-scoped kind rbac.authorization.k8s.io/ClusterRole');
    // Nothing of it was applied (not even the allowed web/extra), and nothing was pruned.
    expect(await roleExists('escalate')).toBe(false);
    expect(await readConfigMap(eu, 'default', 'planted')).toBeUndefined();
    expect(await readConfigMap(eu, 'web', 'extra')).toBeUndefined();
    expect(await bindingExists('web-is-admin')).toBe(true);
    expect((await readConfigMap(eu, 'web', 'settings'))?.data).toEqual({ greeting: 'hello' });
  });
});
