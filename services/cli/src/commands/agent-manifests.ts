/**
 * The Kubernetes objects that install a Flotilla agent in a cluster: what `flotilla clusters
 * join` prints for `kubectl apply -f -`. The same objects as the agent Helm chart
 * (deploy/charts/flotilla-agent) renders and deploy/agent/rbac*.yaml hold; a test keeps the
 * three in step. Pure: options in, objects out.
 */
export type RbacProfile = 'namespaces' | 'cluster';

export interface AgentInstallOptions {
  clusterName: string;
  natsUrl: string;
  token: string;
  bootstrapCreds: string;
  image: string;
  namespace?: string;
  /**
   * `namespaces`: the reconciler role is bound in each of `managedNamespaces` only (least
   * privilege, deploy/agent/rbac-namespace.yaml). `cluster`: bound cluster-wide (the agent can
   * then read every Secret of the cluster; for clusters it owns entirely).
   */
  rbacProfile?: RbacProfile;
  managedNamespaces?: string[];
}

const labels = { 'app.kubernetes.io/name': 'flotilla-agent', 'app.kubernetes.io/part-of': 'flotilla' };
const crud = ['get', 'list', 'watch', 'create', 'patch', 'delete'];

/** deploy/agent/rbac.yaml's rules, as objects. */
export const agentRbacRules = {
  state: [
    { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'create', 'patch', 'delete'] },
    {
      apiGroups: [''],
      resources: ['secrets'],
      resourceNames: ['flotilla-agent-credentials'],
      verbs: ['get', 'update'],
    },
    { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
  ],
  cluster: [
    { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch', 'create', 'patch'] },
    {
      apiGroups: ['apiextensions.k8s.io'],
      resources: ['customresourcedefinitions'],
      verbs: ['get', 'list', 'watch', 'create', 'patch'],
    },
  ],
  reconciler: [
    {
      apiGroups: [''],
      resources: ['configmaps', 'secrets', 'serviceaccounts', 'services', 'persistentvolumeclaims'],
      verbs: crud,
    },
    { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'daemonsets'], verbs: crud },
    { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: crud },
    { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'], verbs: crud },
    {
      apiGroups: ['rbac.authorization.k8s.io'],
      resources: ['roles', 'rolebindings'],
      verbs: [...crud, 'escalate', 'bind'],
    },
    { apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], verbs: ['bind'] },
  ],
};

export function agentManifests(o: AgentInstallOptions): Array<Record<string, unknown>> {
  const ns = o.namespace ?? 'flotilla-system';
  const profile = o.rbacProfile ?? 'namespaces';
  const managed = o.managedNamespaces ?? [];
  const meta = (name: string, namespaced = true) => ({ name, ...(namespaced ? { namespace: ns } : {}), labels });
  const subject = [{ kind: 'ServiceAccount', name: 'flotilla-agent', namespace: ns }];
  const roleRef = (kind: string, name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name });
  const rbac = 'rbac.authorization.k8s.io/v1';
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: meta(ns, false) },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('flotilla-agent') },
    { apiVersion: rbac, kind: 'Role', metadata: meta('flotilla-agent-state'), rules: agentRbacRules.state },
    {
      apiVersion: rbac,
      kind: 'RoleBinding',
      metadata: meta('flotilla-agent-state'),
      roleRef: roleRef('Role', 'flotilla-agent-state'),
      subjects: subject,
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRole',
      metadata: meta('flotilla-agent-cluster', false),
      rules: agentRbacRules.cluster,
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRoleBinding',
      metadata: meta('flotilla-agent-cluster', false),
      roleRef: roleRef('ClusterRole', 'flotilla-agent-cluster'),
      subjects: subject,
    },
    {
      apiVersion: rbac,
      kind: 'ClusterRole',
      metadata: meta('flotilla-agent-reconciler', false),
      rules: agentRbacRules.reconciler,
    },
    ...(profile === 'cluster'
      ? [
          {
            apiVersion: rbac,
            kind: 'ClusterRoleBinding',
            metadata: meta('flotilla-agent-reconciler', false),
            roleRef: roleRef('ClusterRole', 'flotilla-agent-reconciler'),
            subjects: subject,
          },
        ]
      : managed.flatMap((m) => [
          { apiVersion: 'v1', kind: 'Namespace', metadata: { name: m, labels } },
          {
            apiVersion: rbac,
            kind: 'RoleBinding',
            metadata: { name: 'flotilla-agent-reconciler', namespace: m, labels },
            roleRef: roleRef('ClusterRole', 'flotilla-agent-reconciler'),
            subjects: subject,
          },
        ])),
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta('flotilla-agent-registration'),
      type: 'Opaque',
      // Used once: after registration the agent keeps its own credentials in flotilla-agent-credentials.
      stringData: { token: o.token, 'bootstrap.creds': o.bootstrapCreds },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('flotilla-agent'),
      spec: {
        replicas: 1,
        // Never two agents of one cluster at once, not even during an update.
        strategy: { type: 'Recreate' },
        selector: { matchLabels: { 'app.kubernetes.io/name': 'flotilla-agent' } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'flotilla-agent',
            securityContext: {
              runAsNonRoot: true,
              runAsUser: 1000,
              runAsGroup: 1000,
              seccompProfile: { type: 'RuntimeDefault' },
            },
            containers: [
              {
                name: 'agent',
                image: o.image,
                args: ['--in-cluster'],
                env: [
                  { name: 'FLOTILLA_AGENT_CLUSTER_NAME', value: o.clusterName },
                  { name: 'FLOTILLA_AGENT_NATS_URL', value: o.natsUrl },
                  { name: 'FLOTILLA_AGENT_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                  {
                    name: 'FLOTILLA_AGENT_TOKEN',
                    valueFrom: { secretKeyRef: { name: 'flotilla-agent-registration', key: 'token', optional: true } },
                  },
                  { name: 'FLOTILLA_AGENT_BOOTSTRAP_CREDS_FILE', value: '/etc/flotilla/registration/bootstrap.creds' },
                  {
                    name: 'FLOTILLA_AGENT_ALLOW_NAMESPACES',
                    value: profile === 'cluster' ? '*' : managed.join(',') || ns,
                  },
                ],
                resources: { requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '512Mi' } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
                volumeMounts: [
                  { name: 'registration', mountPath: '/etc/flotilla/registration', readOnly: true },
                  { name: 'state', mountPath: '/var/lib/flotilla-agent' },
                  { name: 'tmp', mountPath: '/tmp' },
                ],
              },
            ],
            volumes: [
              { name: 'registration', secret: { secretName: 'flotilla-agent-registration', optional: true } },
              { name: 'state', emptyDir: {} },
              { name: 'tmp', emptyDir: {} },
            ],
          },
        },
      },
    },
  ];
}
