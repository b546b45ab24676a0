// Kubernetes label selector semantics (metav1.LabelSelector), used to decide which clusters
// an application target selects. As in Kubernetes, an empty selector selects everything.

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

/** The one LabelSelector type of the codebase (re-exported by @flotilla/domain). Plain data: readonly at the use site. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export function matchesLabelSelector(
  selector: Readonly<LabelSelector>,
  labels: Readonly<Record<string, string>>,
): boolean {
  const label = (key: string) => (Object.hasOwn(labels, key) ? labels[key] : undefined);
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (label(key) !== value) return false;
  }
  for (const requirement of selector.matchExpressions ?? []) {
    const value = label(requirement.key);
    const values = requirement.values ?? [];
    switch (requirement.operator) {
      case 'In':
        if (value === undefined || !values.includes(value)) return false;
        break;
      case 'NotIn':
        if (value !== undefined && values.includes(value)) return false;
        break;
      case 'Exists':
        if (value === undefined) return false;
        break;
      case 'DoesNotExist':
        if (value !== undefined) return false;
        break;
    }
  }
  return true;
}
