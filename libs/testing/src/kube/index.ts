export { startKubeApiServer, kubeBinDir, KUBE_VERSION } from './kube-apiserver';
export type { KubeApiServer, StartKubeApiServerOptions } from './kube-apiserver';
