import { canonicalJson, canonicalJsonOf, toJsonValue, type JsonValue } from './canonical-json';
import { InvalidEventError } from '../errors';
import { canonicalEventText, genesisHash, hashEvent, type HashedEventContent } from './event-hash';

describe('canonicalJson (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units at every depth, whatever the insertion order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { y: 1, x: 2 }], c: null }, '10': 0, '9': 0 })).toBe(
      '{"10":0,"9":0,"a":{"c":null,"d":[3,{"x":2,"y":1}]},"b":1}',
    );
    // U+20AC sorts before U+1F600 (a surrogate pair starting 0xD83D) by code units.
    expect(canonicalJson({ '😀': 1, '€': 2 })).toBe('{"€":2,"😀":1}');
  });

  it('writes numbers and strings as ECMAScript JSON does', () => {
    expect(canonicalJson([1e21, 1e-7, -0, 0.1, 'a"\\\n\u2028'])).toBe('[1e+21,1e-7,0,0.1,"a\\"\\\\\\n\u2028"]');
  });

  it('normalises input to what the log stores: toJSON applied, undefined dropped, non-finite numbers null', () => {
    expect(toJsonValue({ at: new Date('2026-01-01T00:00:00Z'), gone: undefined, n: NaN })).toEqual({
      at: '2026-01-01T00:00:00.000Z',
      n: null,
    });
  });
});

describe('canonicalJsonOf (the append fast path)', () => {
  it.each([
    ['nested objects', { z: { b: [1, { d: 1, c: 2 }], a: 'x' }, '2': true, '10': false }],
    [
      'toJSON and undefined members',
      { at: new Date('2026-01-01T00:00:00Z'), gone: undefined, fn: () => 1, list: [undefined, () => 1, 3] },
    ],
    ['non-finite numbers', { n: NaN, i: -Infinity, z: -0, big: 1e21, small: 5e-324 }],
    ['scalars', 'text'],
    ['null', null],
    ['a literal backslash-u0000 (not a NUL)', { s: '\\u0000' }],
  ])('writes %s exactly as canonicalJson(toJsonValue(...))', (_what, value) => {
    expect(canonicalJsonOf(value)).toBe(canonicalJson(toJsonValue(value)));
  });

  it('refuses NUL characters in values and keys, bigints, and a top-level undefined, as toJsonValue does', () => {
    for (const value of [{ a: 'x\u0000' }, { ['k\u0000']: 1 }, undefined]) {
      expect(() => canonicalJsonOf(value)).toThrow(InvalidEventError);
      expect(() => toJsonValue(value)).toThrow(InvalidEventError);
    }
    expect(() => canonicalJsonOf({ n: 1n })).toThrow(InvalidEventError);
  });
});

describe('event hash', () => {
  const content: HashedEventContent = {
    position: 42,
    streamId: 'cluster-eu-1',
    version: 3,
    id: '6f1c1d1e-8a4b-4c2d-9e0f-112233445566',
    type: 'DriftDetected',
    schemaVersion: 2,
    data: { resource: 'Deployment/web', fields: ['spec.replicas'] },
    metadata: { actor: 'agent:eu-1', traceparent: '00-abc-def-01' },
    recordedAt: new Date('2026-11-26T10:00:00.123Z'),
  };

  it('hashes exactly the JCS text of content plus prevHash', () => {
    const asObject = {
      ...content,
      recordedAt: content.recordedAt.toISOString(),
      prevHash: genesisHash,
    } as unknown as JsonValue;
    expect(canonicalEventText(content, genesisHash)).toBe(canonicalJson(asObject));
  });

  it('changes when any field or the predecessor changes', () => {
    const base = hashEvent(content, genesisHash);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(hashEvent({ ...content }, genesisHash)).toBe(base);
    expect(hashEvent({ ...content, position: 43 }, genesisHash)).not.toBe(base);
    expect(hashEvent({ ...content, data: { resource: 'Deployment/web', fields: [] } }, genesisHash)).not.toBe(base);
    expect(hashEvent({ ...content, recordedAt: new Date(content.recordedAt.getTime() + 1) }, genesisHash)).not.toBe(
      base,
    );
    expect(hashEvent(content, '1'.repeat(64))).not.toBe(base);
  });
});
