import type { ApplicationSpec, ApplicationTarget, ObjectPolicy } from '@flotilla/manifests';
import type { AssignedApplication, AssignedPolicy } from './desired-state.events';

/** What the assignment of one application to one cluster says, from its spec, target and render. */
export function assignedApplication(input: {
  name: string;
  spec: Pick<ApplicationSpec, 'source' | 'syncPolicy'>;
  target: Pick<ApplicationTarget, 'namespace'>;
  cluster: { name: string; labels: Readonly<Record<string, string>> };
  commit: string;
  bundleDigest: string;
  objectPolicy: ObjectPolicy;
}): AssignedApplication {
  const policy: AssignedPolicy = {
    automated: input.spec.syncPolicy.automated,
    prune: input.spec.syncPolicy.prune,
    driftMode: input.spec.syncPolicy.driftMode,
    ignoredFields: sortedRecord(input.spec.syncPolicy.ignoredFields),
    ...(input.spec.syncPolicy.adopt ? { adopt: true as const } : {}),
    ...(input.spec.syncPolicy.createNamespace ? { createNamespace: true as const } : {}),
  };
  const namespace =
    input.target.namespace === undefined
      ? undefined
      : substituteClusterVariables(input.target.namespace, input.cluster);
  return {
    name: input.name,
    source: input.spec.source,
    commit: input.commit,
    bundleDigest: input.bundleDigest,
    ...(namespace !== undefined ? { namespace } : {}),
    policy,
    objectPolicy: input.objectPolicy,
  };
}

/**
 * `${cluster.name}` and `${cluster.labels.<key>}` substituted, `$${` kept as a literal `${`:
 * the same rules as libs/manifests, for the target namespace of a render that succeeded
 * (so every reference resolves).
 */
export function substituteClusterVariables(
  text: string,
  cluster: { name: string; labels: Readonly<Record<string, string>> },
): string {
  return text.replace(/\$\$\{|\$\{([^}]*)\}/g, (match, expression: string | undefined) => {
    if (expression === undefined) return '${';
    if (expression === 'cluster.name') return cluster.name;
    if (expression.startsWith('cluster.labels.'))
      return cluster.labels[expression.slice('cluster.labels.'.length)] ?? match;
    return match;
  });
}

function sortedRecord(record: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const key of Object.keys(record).sort()) out[key] = [...record[key]!];
  return out;
}

/** A change to one application's place in one cluster: its new assignment, or null to remove it. */
export interface ApplicationChange {
  name: string;
  assignment: AssignedApplication | null;
}

/**
 * The cluster's next set of applications: the current set with the changes applied, sorted
 * by name (so the same set always has the same shape and digest), and whether it differs.
 * A cluster whose set did not change gets no new revision.
 */
export function nextDesiredState(
  current: readonly AssignedApplication[],
  changes: readonly ApplicationChange[],
): { applications: AssignedApplication[]; changed: boolean } {
  const byName = new Map(current.map((app) => [app.name, app]));
  for (const change of changes) {
    if (change.assignment === null) byName.delete(change.name);
    else byName.set(change.name, change.assignment);
  }
  const applications = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { applications, changed: !sameApplications(current, applications) };
}

/** Same (application, commit, digest, namespace, policy) set, whatever the order. */
export function sameApplications(a: readonly AssignedApplication[], b: readonly AssignedApplication[]): boolean {
  if (a.length !== b.length) return false;
  const key = (app: AssignedApplication) => canonical(app);
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.every((value, i) => value === right[i]);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The all-or-nothing rule of a commit: the commit is accepted for the application only when
 * every targeted cluster rendered; one failure and no cluster moves to it (each keeps what
 * it had), so a bad commit never half-applies across the fleet.
 */
export function commitAccepted(results: ReadonlyArray<{ ok: boolean }>): boolean {
  return results.every((result) => result.ok);
}
