import { InvalidJsonPointerError } from './errors';
import { formatJsonPointer, parseJsonPointer } from './json-pointer';

describe('JSON pointers (RFC 6901)', () => {
  it('given the RFC 6901 section 5 pointers, when parsed, then they yield the unescaped tokens', () => {
    expect(parseJsonPointer('')).toEqual([]);
    expect(parseJsonPointer('/foo')).toEqual(['foo']);
    expect(parseJsonPointer('/foo/0')).toEqual(['foo', '0']);
    expect(parseJsonPointer('/')).toEqual(['']);
    expect(parseJsonPointer('/a~1b')).toEqual(['a/b']);
    expect(parseJsonPointer('/c%d')).toEqual(['c%d']);
    expect(parseJsonPointer('/m~0n')).toEqual(['m~n']);
    expect(parseJsonPointer('/ ')).toEqual([' ']);
  });

  it('given "~01", when parsed, then it is "~1" (~1 is unescaped before ~0)', () => {
    expect(parseJsonPointer('/~01')).toEqual(['~1']);
  });

  it('given malformed pointers, when parsed, then an InvalidJsonPointerError says why', () => {
    expect(() => parseJsonPointer('foo')).toThrow(InvalidJsonPointerError);
    expect(() => parseJsonPointer('/a~2')).toThrow(/~/);
    expect(() => parseJsonPointer('/a~')).toThrow(InvalidJsonPointerError);
  });

  it('given tokens with "/" and "~", when formatted, then the pointer parses back to them', () => {
    const tokens = ['metadata', 'annotations', 'example.com/a~b'];
    expect(formatJsonPointer(tokens)).toBe('/metadata/annotations/example.com~1a~0b');
    expect(parseJsonPointer(formatJsonPointer(tokens))).toEqual(tokens);
  });
});
