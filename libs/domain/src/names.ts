import { ValidationError } from './errors';

/**
 * Names people choose (cluster names, cluster group names, API token names) are DNS-1123
 * labels: they appear in stream ids, URLs and Kubernetes objects, and this keeps them safe
 * in all three.
 */
const dnsLabelPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsLabelMaxLength = 63;

export function validateDnsLabel(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new ValidationError(`${field} is required`, field);
  if (value.length > dnsLabelMaxLength)
    throw new ValidationError(`${field} must be at most ${dnsLabelMaxLength} characters`, field);
  if (!dnsLabelPattern.test(value)) {
    throw new ValidationError(
      `${field} must be lowercase alphanumerics and "-", starting and ending with an alphanumeric`,
      field,
    );
  }
  return value;
}

/** Cluster ids are generated (never chosen) and are single NATS subject tokens: `c` + 16 hex. */
const clusterIdPattern = /^c[0-9a-f]{16}$/;

export function isClusterId(value: string): boolean {
  return clusterIdPattern.test(value);
}

/** NATS user public keys: nkey base32, 56 characters, `U` prefix. */
const userPublicKeyPattern = /^U[A-Z2-7]{55}$/;

export function isUserPublicKey(value: string): boolean {
  return userPublicKeyPattern.test(value);
}
