// The Kubernetes API emulator: a plain-HTTP server that follows the real API's conventions
// (discovery, resourceVersion and conflicts, server-side apply with managedFields,
// list/watch, Status errors) for many virtual clusters in one process. The simulated fleet
// and the demo run agents against it over the same client-node code path as a real cluster;
// conformance.int.spec.ts measures how close it is to a real kube-apiserver.
export { startKubeEmulator, UnknownClusterError } from './server';
export type { KubeEmulator, KubeEmulatorOptions, EmulatedCluster } from './server';
export { kubeconfigFor, kubeconfigYaml } from './kubeconfig';
export type { KubeconfigOptions, KubeconfigDocument } from './kubeconfig';
export { FAIL_ANNOTATION } from './controllers';
export { VirtualCluster, DEFAULT_VERSION } from './virtual-cluster';
export type { VersionInfo, WriteOptions } from './virtual-cluster';
export { KubeApiError } from './status-error';
export type { KubeStatus, StatusCause, StatusDetails } from './status-error';
export { DEFAULT_CONTROLLER_DELAY_MS } from './durations';
