import { hiddenValue, hideCredentialHashes, isCredentialHashField } from './credential-hashes';

describe('hideCredentialHashes', () => {
  it('hides the hash of every credential, at any depth, and leaves the rest and the input alone', () => {
    const data = {
      tokenId: 'abc123',
      secretHash: 'f'.repeat(64),
      labels: { env: 'prod' },
      nested: [{ tokenHash: 'x', name: 'n' }, { client: { clientSecretHash: 'y', apiKeyHash: 'z' } }],
      bundleDigest: 'sha256:1',
      prevHash: 'p',
      contentHash: 'c',
    };
    const copy = structuredClone(data);
    expect(hideCredentialHashes(data)).toEqual({
      tokenId: 'abc123',
      secretHash: hiddenValue,
      labels: { env: 'prod' },
      nested: [
        { tokenHash: hiddenValue, name: 'n' },
        { client: { clientSecretHash: hiddenValue, apiKeyHash: hiddenValue } },
      ],
      bundleDigest: 'sha256:1',
      prevHash: 'p',
      contentHash: 'c',
    });
    expect(data).toEqual(copy);
  });

  it('passes scalars and null through', () => {
    expect(hideCredentialHashes(null)).toBeNull();
    expect(hideCredentialHashes('secretHash')).toBe('secretHash');
    expect(hideCredentialHashes(3)).toBe(3);
  });

  it('names credential hashes only', () => {
    for (const name of ['secretHash', 'tokenHash', 'passwordHash', 'SecretHash', 'credentialsHash'])
      expect(isCredentialHashField(name)).toBe(true);
    for (const name of ['hash', 'prevHash', 'headHash', 'bundleHash', 'secret', 'tokenId', 'hashes'])
      expect(isCredentialHashField(name)).toBe(false);
  });
});
