import { createUser } from '@nats-io/nkeys';
import { refusedField } from './refused-field';

describe('refusedField', () => {
  it('keeps a DNS-label name and a user public key as sent', () => {
    expect(refusedField('eu-west-1', 'name')).toBe('eu-west-1');
    const key = createUser().getPublicKey();
    expect(refusedField(key, 'public-key')).toBe(key);
  });

  it('records anything else as a fingerprint and a length, never the value', () => {
    const seed = new TextDecoder().decode(createUser().getSeed());
    for (const [value, kind] of [
      ['flt_reg_0123456789ab_s3cr3ts3cr3ts3cr3t', 'name'],
      [seed, 'public-key'],
      [seed, 'name'],
      ['eyJhbGciOi.eyJzdWIi.c2ln', 'public-key'],
      ['x'.repeat(10_000), 'name'],
    ] as const) {
      const recorded = refusedField(value, kind);
      expect(recorded).toMatch(/^redacted sha256:[0-9a-f]{12} \(\d+ chars\)$/);
      expect(recorded).not.toContain(value.slice(0, 8));
    }
  });

  it('tells two values apart and is stable', () => {
    expect(refusedField('A', 'name')).toBe(refusedField('A', 'name'));
    expect(refusedField('A', 'name')).not.toBe(refusedField('B', 'name'));
    expect(refusedField(42, 'name')).toBe('');
  });
});
