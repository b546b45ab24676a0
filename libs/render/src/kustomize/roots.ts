import { normaliseSourcePath } from '@flotilla/manifests';

/** The directory kustomize builds: the application path, or the target's overlay under it. */
export function kustomizeRoot(path: string, overlay: string | undefined): string {
  return normaliseSourcePath([path, overlay ?? ''].filter((part) => part !== '').join('/'));
}
