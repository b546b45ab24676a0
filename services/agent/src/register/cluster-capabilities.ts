// What the agent's cluster runs, read once at start from its API server: the version
// (GET /version) and the API group versions it serves (discovery: /api and /apis). The hub
// renders Helm charts for this cluster with them (`--kube-version`, `--api-versions`), so a
// chart's `.Capabilities` describe the cluster it will be applied to, not Helm's defaults.

import type { KubeConfig } from '@kubernetes/client-node';

export interface ClusterCapabilities {
  /** `v1.20.2`; `unknown` when the API server could not be asked. */
  kubernetesVersion: string;
  /** `v1`, `apps/v1`, `monitoring.coreos.com/v1`, sorted; empty when discovery failed. */
  apiVersions: string[];
}

/** Reads both; a failure of either is reported through `warn` and leaves that half unknown (the hub then uses its default). */
export async function readClusterCapabilities(
  kc: KubeConfig,
  warn: (line: string) => void,
): Promise<ClusterCapabilities> {
  const k8s = await import('@kubernetes/client-node');
  let kubernetesVersion = 'unknown';
  let apiVersions: string[] = [];
  try {
    kubernetesVersion = (await kc.makeApiClient(k8s.VersionApi).getCode()).gitVersion;
  } catch (err) {
    warn(`cannot read the Kubernetes version (${(err as Error).message}); reporting "unknown"`);
  }
  try {
    const [core, groups] = await Promise.all([
      kc.makeApiClient(k8s.CoreApi).getAPIVersions(),
      kc.makeApiClient(k8s.ApisApi).getAPIVersions(),
    ]);
    apiVersions = [
      ...new Set([
        ...core.versions,
        ...groups.groups.flatMap((group) => group.versions.map((version) => version.groupVersion)),
      ]),
    ].sort();
  } catch (err) {
    warn(`cannot read the API versions the cluster serves (${(err as Error).message}); reporting none`);
  }
  return { kubernetesVersion, apiVersions };
}
