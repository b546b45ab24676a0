/**
 * Hashes of credentials (an API token's or a registration token's secret: `secretHash` in
 * libs/domain's ApiTokenCreated and RegistrationTokenCreated) stay in the log, where the hub
 * checks presented secrets against them, but a reader of the history has no use for them:
 * they are shown as `[hidden]`. A field is one when its name ends in `Hash` after a word
 * naming a credential (secretHash, tokenHash, clientSecretHash, apiKeyHash, passwordHash),
 * at any depth; content digests (bundleDigest, prevHash, hash) are not credentials.
 */
export const hiddenValue = '[hidden]';

const credentialHashField = /(secret|token|password|passphrase|credentials?|key)Hash$/i;

export function isCredentialHashField(name: string): boolean {
  return credentialHashField.test(name);
}

/** A copy of `data` with the value of every credential hash field replaced; `data` itself is left alone. */
export function hideCredentialHashes(data: unknown): unknown {
  if (Array.isArray(data)) return data.map(hideCredentialHashes);
  if (data === null || typeof data !== 'object') return data;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) {
    copy[key] = isCredentialHashField(key) ? hiddenValue : hideCredentialHashes(value);
  }
  return copy;
}
