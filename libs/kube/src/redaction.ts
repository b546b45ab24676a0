import type { DriftField } from './reconcile.events';
import { groupOf, type ResourceRef } from './resource-ref';

export const REDACTED = '<redacted>';

const isSecret = (ref: Pick<ResourceRef, 'apiVersion' | 'kind'>): boolean =>
  ref.kind === 'Secret' && groupOf(ref.apiVersion) === '';

// Labels and annotations are not secret, except kubectl's last-applied copy, which holds the
// whole object (data included).
const SAFE_SECRET_PATH = /^\/metadata\/(labels|annotations)(\/|$)/;
const LAST_APPLIED = /^\/metadata\/annotations(\/kubectl\.kubernetes\.io~1last-applied-configuration)?$/;

/** Secret values never leave the cluster: not in events, not in logs, not to the hub. */
export function redactDriftFields(ref: Pick<ResourceRef, 'apiVersion' | 'kind'>, fields: DriftField[]): DriftField[] {
  if (!isSecret(ref)) return fields;
  return fields.map((f) =>
    SAFE_SECRET_PATH.test(f.path) && !LAST_APPLIED.test(f.path)
      ? f
      : {
          path: f.path,
          desired: f.desired === undefined ? undefined : REDACTED,
          live: f.live === undefined ? undefined : REDACTED,
        },
  );
}

/**
 * API error messages can quote the rejected value (`Invalid value: "..."`); for a Secret
 * that value may be the secret itself.
 */
export function redactMessage(ref: Pick<ResourceRef, 'apiVersion' | 'kind'>, message: string): string {
  if (!isSecret(ref)) return message;
  return message.replace(/Invalid value: (".*?"|[^:,]+)/g, `Invalid value: ${REDACTED}`);
}
