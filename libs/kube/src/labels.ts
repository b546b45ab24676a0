/** The marks every object we apply carries, and what prune checks before deleting. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'flotilla';
export const APPLICATION_LABEL = 'flotilla.dev/application';
/**
 * An annotation, not a label: digests are longer than a label value may be. It changes on
 * every new bundle, so every object is re-applied once per revision; the price of being
 * able to tell from the cluster alone which revision last wrote an object.
 */
export const BUNDLE_ANNOTATION = 'flotilla.dev/bundle';

/** On an object in git: this one object may be taken over although it exists and is not ours. */
export const ADOPT_ANNOTATION = 'flotilla.dev/adopt';

// The application name is a label value and part of the inventory ConfigMap's name.
const APPLICATION_NAME = /^[a-z0-9]([-a-z0-9]{0,41}[a-z0-9])?$/;

export function isValidApplicationName(name: string): boolean {
  return APPLICATION_NAME.test(name);
}
