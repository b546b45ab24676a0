import type { JsonValue } from './canonical-json';
import { redactInPlace, validateSecretFields } from './redaction';

describe('redactInPlace', () => {
  it('redacts exact paths, wildcards over objects and arrays, and ignores absent paths', () => {
    const data: JsonValue = {
      token: 't',
      nested: { password: 'p', keep: 'k' },
      users: [{ key: 'a' }, { key: 'b', other: 1 }],
      env: { A: 'x', B: 'y' },
      scalar: 'not an object',
    };
    redactInPlace(data, ['token', 'nested.password', 'users.*.key', 'env.*', 'scalar.deeper', 'missing.path']);
    expect(data).toEqual({
      token: '[REDACTED]',
      nested: { password: '[REDACTED]', keep: 'k' },
      users: [{ key: '[REDACTED]' }, { key: '[REDACTED]', other: 1 }],
      env: { A: '[REDACTED]', B: '[REDACTED]' },
      scalar: 'not an object',
    });
  });

  it('redacts a whole subtree when the path ends on an object, and indexes arrays by number', () => {
    const data: JsonValue = { secret: { a: 1 }, list: ['x', 'y'] };
    redactInPlace(data, ['secret', 'list.1']);
    expect(data).toEqual({ secret: '[REDACTED]', list: ['x', '[REDACTED]'] });
  });

  it('does not guess: an unlisted key named password stays', () => {
    const data: JsonValue = { password: 'p' };
    redactInPlace(data, []);
    expect(data).toEqual({ password: 'p' });
  });

  it('refuses empty path segments', () => {
    expect(() => validateSecretFields({ A: ['a.'] })).toThrow(/malformed/);
    expect(() => validateSecretFields({ A: ['a.b', '*'] })).not.toThrow();
  });
});
