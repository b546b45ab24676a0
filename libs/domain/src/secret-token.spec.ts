import {
  apiTokenPrefix,
  formatSecretToken,
  hashSecret,
  parseSecretToken,
  registrationTokenPrefix,
  secretMatchesHash,
} from './secret-token';

const secret = 'abcdefghijklmnopqrstuvwxyzABCDEF_-0123456789';

describe('secret tokens', () => {
  it('round-trips through format and parse', () => {
    const token = formatSecretToken(registrationTokenPrefix, { tokenId: '0123456789ab', secret });
    expect(token).toBe(`flt_reg_0123456789ab_${secret}`);
    expect(parseSecretToken(registrationTokenPrefix, token)).toEqual({ tokenId: '0123456789ab', secret });
  });
  it.each([
    ['', 'empty'],
    ['garbage', 'no prefix'],
    [`flt_api_0123456789ab_${secret}`, 'other prefix'],
    [`flt_reg_0123456789AB_${secret}`, 'uppercase id'],
    [`flt_reg_0123456789a_${secret}`, 'short id'],
    ['flt_reg_0123456789ab_short', 'short secret'],
    [`flt_reg_0123456789ab_${secret} `, 'trailing space'],
  ])('refuses %j (%s)', (value) => {
    expect(parseSecretToken(registrationTokenPrefix, value)).toBeUndefined();
  });
  it('checks a secret against its hash only', () => {
    const hash = hashSecret(secret);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).not.toContain(secret);
    expect(secretMatchesHash(secret, hash)).toBe(true);
    expect(secretMatchesHash(`${secret}x`, hash)).toBe(false);
    expect(secretMatchesHash(secret, 'not-a-hash')).toBe(false);
  });
  it('distinguishes API token prefixes', () => {
    expect(parseSecretToken(apiTokenPrefix, `flt_api_0123456789ab_${secret}`)).toEqual({
      tokenId: '0123456789ab',
      secret,
    });
  });
});
