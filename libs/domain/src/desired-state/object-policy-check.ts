import { checkObjectPolicy } from '@flotilla/manifests';
import type { RenderFailure } from './desired-state.events';
import type { RenderRequest } from './desired-state.planner';
import { substituteClusterVariables } from './next-desired-state';
import type { RenderOutcome } from './render-decision';

/**
 * The hub's half of the object policy (pure), between rendering and the decision: a bundle
 * holding an object the application's policy does not allow becomes a failed render for
 * that cluster, each object named with the rule it breaks (`policy-cluster-scoped-kind`,
 * `policy-namespace`, `policy-namespaced-kind`). The decision then treats it as any failed
 * render: RenderFailed, and no cluster moves to the commit (all or nothing).
 */
export function enforceObjectPolicy<T extends RenderOutcome>(
  request: RenderRequest,
  outcomes: readonly T[],
): Array<T | Extract<RenderOutcome, { ok: false }>> {
  if (request.kind === 'remove') return [...outcomes];
  const { policy } = request.application;
  return outcomes.map((outcome) => {
    if (!outcome.ok) return outcome;
    const pair = request.targets.find((t) => t.cluster.clusterId === outcome.clusterId);
    const namespace = pair?.target.namespace;
    const targetNamespace = namespace === undefined ? undefined : substituteClusterVariables(namespace, pair!.cluster);
    const violations = checkObjectPolicy(outcome.bundle.objects, policy, { targetNamespace });
    if (violations.length === 0) return outcome;
    const errors: RenderFailure[] = violations.map((v) => ({
      file: null,
      documentIndex: null,
      code: `policy-${v.rule}`,
      reason: v.reason,
    }));
    return { clusterId: outcome.clusterId, ok: false, errors };
  });
}
