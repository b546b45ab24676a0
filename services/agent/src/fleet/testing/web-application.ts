import type { HubUnderTest } from './hub-under-test';
import type { GitRepository } from './git-repository';

/**
 * The application the fleet's tests and the propagation benchmark deploy: a namespace, two
 * ConfigMaps and a Deployment under `apps/web`, to every cluster. `round` changes the data
 * and the pod template, so every commit gives every cluster a new bundle to apply.
 */
export function webManifests(round: number): Record<string, string> {
  return {
    'apps/web/namespace.yaml': ['apiVersion: v1', 'kind: Namespace', 'metadata:', '  name: fleet-web', ''].join('\n'),
    'apps/web/config.yaml': [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: web-config',
      'data:',
      `  round: "${round}"`,
      '  cluster: "${cluster.name}"',
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: web-flags',
      'data:',
      `  feature-${round % 3}: "on"`,
      '',
    ].join('\n'),
    'apps/web/deployment.yaml': [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: web',
      'spec:',
      '  replicas: 2',
      '  selector:',
      '    matchLabels: { app: web }',
      '  template:',
      '    metadata:',
      '      labels: { app: web }',
      `      annotations: { flotilla.dev/round: "${round}" }`,
      '    spec:',
      '      containers:',
      '        - name: web',
      '          image: nginx:1.27',
      '          ports: [{ containerPort: 80 }]',
      '',
    ].join('\n'),
  };
}

/** Every namespaced object without a namespace lands in fleet-web; automated, so each commit is applied. */
function webApplicationFile(options: { name: string; source: string }): string {
  return [
    'apiVersion: flotilla.dev/v1',
    'kind: Application',
    'metadata:',
    `  name: ${options.name}`,
    'spec:',
    `  source: ${options.source}`,
    '  path: apps/web',
    '  targets:',
    '    - selector: {}',
    '      namespace: fleet-web',
    '  syncPolicy:',
    '    automated: true',
    '    prune: true',
    '',
  ].join('\n');
}

export interface WebDeployment {
  source: string;
  application: string;
  webhookSecret: string;
  firstCommit: string;
}

/**
 * Commits round 0, adds the source with a webhook secret (polled once a day, so only the
 * initial fetch and webhooks move it) and puts the application.
 */
export async function deployWebApplication(
  hub: HubUnderTest,
  repository: GitRepository,
  options: { source: string; application: string; pollIntervalSeconds?: number },
): Promise<WebDeployment> {
  const firstCommit = await repository.commit('web: round 0', webManifests(0));
  const webhookSecretRef = `${options.source}-webhook`;
  const webhookSecret = hub.writeWebhookSecret(webhookSecretRef);
  const source = await hub.api('POST', '/api/v1/sources', {
    name: options.source,
    url: repository.url,
    branch: 'main',
    pollIntervalSeconds: options.pollIntervalSeconds ?? 86_400,
    webhookSecretRef,
  });
  if (source.status !== 201 && source.status !== 200)
    throw new Error(`adding source ${options.source} failed: ${source.status} ${JSON.stringify(source.body)}`);
  // The application brings its own Namespace (cluster-scoped): an admin grants that kind.
  const policy = await hub.api('PUT', `/api/v1/applications/${options.application}/policy`, {
    namespaces: [],
    clusterScopedKinds: ['Namespace'],
    namespacedKinds: ['*'],
  });
  if (policy.status !== 200)
    throw new Error(`granting application ${options.application} its Namespace failed: ${policy.status}`);
  const application = await hub.api(
    'PUT',
    `/api/v1/applications/${options.application}`,
    webApplicationFile({ name: options.application, source: options.source }),
    'application/yaml',
  );
  if (application.status !== 201 && application.status !== 200)
    throw new Error(
      `putting application ${options.application} failed: ${application.status} ${JSON.stringify(application.body)}`,
    );
  return { source: options.source, application: options.application, webhookSecret, firstCommit };
}

export interface ApplicationStatusView {
  application: string;
  summary: { clusters: number; synced: number; healthy: number; drifted: number; offline: number; failed: number };
  clusters: Array<{
    clusterId: string;
    clusterName: string;
    state: string;
    appliedCommit?: string | null;
    sync: string;
    health: string;
    message?: string | null;
  }>;
}

/** Clusters of the application that run `commit`, synced and healthy. */
export async function syncedOn(
  hub: HubUnderTest,
  application: string,
  commit: string,
): Promise<{ done: number; total: number; status: ApplicationStatusView }> {
  const { status, body } = await hub.api('GET', `/api/v1/applications/${application}/status`);
  if (status !== 200) throw new Error(`GET application status: ${status} ${JSON.stringify(body)}`);
  const view = body as ApplicationStatusView;
  const done = view.clusters.filter(
    (c) => c.appliedCommit === commit && c.sync === 'synced' && c.health === 'healthy',
  ).length;
  return { done, total: view.clusters.length, status: view };
}
