import { FleetConfigError } from './fleet.errors';

export type Labels = Record<string, string>;

export interface SimulatedClusterSpec {
  /** The cluster's name on the hub and in the emulator (a DNS label). */
  name: string;
  labels: Labels;
}

/** The clusters of a fleet: listed one by one, or `count` of them named `<namePrefix>-001`... */
export type FleetClusters =
  | SimulatedClusterSpec[]
  | {
      count: number;
      /** Default `sim`. */
      namePrefix?: string;
      /** The same labels for all, or per cluster (e.g. spread over regions by index). */
      labels?: Labels | ((index: number, name: string) => Labels);
    };

const namePrefixDefault = 'sim';
const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Expands and checks the clusters; every problem is reported at once. */
export function fleetClusterSpecs(clusters: FleetClusters): SimulatedClusterSpec[] {
  let specs: SimulatedClusterSpec[];
  if (Array.isArray(clusters)) {
    specs = clusters.map((c) => ({ name: c.name, labels: { ...c.labels } }));
  } else {
    if (!Number.isInteger(clusters.count) || clusters.count < 1)
      throw new FleetConfigError(`clusters.count must be a positive integer, got ${clusters.count}`);
    const prefix = clusters.namePrefix ?? namePrefixDefault;
    // Zero-padded, so names sort in creation order in every listing.
    const width = Math.max(3, String(clusters.count).length);
    specs = Array.from({ length: clusters.count }, (_, index) => {
      const name = `${prefix}-${String(index + 1).padStart(width, '0')}`;
      const labels = typeof clusters.labels === 'function' ? clusters.labels(index, name) : (clusters.labels ?? {});
      return { name, labels: { ...labels } };
    });
  }
  const problems: string[] = [];
  if (specs.length === 0) problems.push('a fleet needs at least one cluster');
  const seen = new Set<string>();
  for (const { name } of specs) {
    if (name.length > 63 || !dnsLabel.test(name))
      problems.push(`cluster name "${name}" is not a DNS label (lowercase letters, digits, '-', at most 63)`);
    if (seen.has(name)) problems.push(`cluster name "${name}" is given twice`);
    seen.add(name);
  }
  if (problems.length > 0) throw new FleetConfigError(`invalid fleet: ${problems.join('; ')}`);
  return specs;
}

/** `env=prod,region=eu` -> { env: 'prod', region: 'eu' }; the hub checks keys and values. */
export function parseLabels(text: string): Labels {
  const labels: Labels = {};
  for (const pair of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new FleetConfigError(`label "${pair}" is not key=value`);
    const key = pair.slice(0, eq).trim();
    if (key in labels) throw new FleetConfigError(`label "${key}" is given twice`);
    labels[key] = pair.slice(eq + 1).trim();
  }
  return labels;
}
