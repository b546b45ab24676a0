import { JsonPatchError } from './errors';
import type { JsonValue } from './json';
import { applyJsonPatch, type JsonPatchOperation } from './json-patch';

const patch = (operations: unknown[]) => operations as JsonPatchOperation[];

describe('JSON patch (RFC 6902)', () => {
  describe('appendix A examples', () => {
    const succeeding: Array<[string, JsonValue, JsonPatchOperation[], JsonValue]> = [
      [
        'A.1 adding an object member',
        { foo: 'bar' },
        patch([{ op: 'add', path: '/baz', value: 'qux' }]),
        { baz: 'qux', foo: 'bar' },
      ],
      [
        'A.2 adding an array element',
        { foo: ['bar', 'baz'] },
        patch([{ op: 'add', path: '/foo/1', value: 'qux' }]),
        { foo: ['bar', 'qux', 'baz'] },
      ],
      [
        'A.3 removing an object member',
        { baz: 'qux', foo: 'bar' },
        patch([{ op: 'remove', path: '/baz' }]),
        { foo: 'bar' },
      ],
      [
        'A.4 removing an array element',
        { foo: ['bar', 'qux', 'baz'] },
        patch([{ op: 'remove', path: '/foo/1' }]),
        { foo: ['bar', 'baz'] },
      ],
      [
        'A.5 replacing a value',
        { baz: 'qux', foo: 'bar' },
        patch([{ op: 'replace', path: '/baz', value: 'boo' }]),
        { baz: 'boo', foo: 'bar' },
      ],
      [
        'A.6 moving a value',
        { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
        patch([{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }]),
        { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
      ],
      [
        'A.7 moving an array element',
        { foo: ['all', 'grass', 'cows', 'eat'] },
        patch([{ op: 'move', from: '/foo/1', path: '/foo/3' }]),
        { foo: ['all', 'cows', 'eat', 'grass'] },
      ],
      [
        'A.8 testing a value: success',
        { baz: 'qux', foo: ['a', 2, 'c'] },
        patch([
          { op: 'test', path: '/baz', value: 'qux' },
          { op: 'test', path: '/foo/1', value: 2 },
        ]),
        { baz: 'qux', foo: ['a', 2, 'c'] },
      ],
      [
        'A.10 adding a nested member object',
        { foo: 'bar' },
        patch([{ op: 'add', path: '/child', value: { grandchild: {} } }]),
        { foo: 'bar', child: { grandchild: {} } },
      ],
      [
        'A.11 ignoring unrecognized elements',
        { foo: 'bar' },
        patch([{ op: 'add', path: '/baz', value: 'qux', xyz: 123 }]),
        { foo: 'bar', baz: 'qux' },
      ],
      [
        'A.14 ~ escape ordering',
        { '/': 9, '~1': 10 },
        patch([{ op: 'test', path: '/~01', value: 10 }]),
        { '/': 9, '~1': 10 },
      ],
      [
        'A.16 adding an array value',
        { foo: ['bar'] },
        patch([{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }]),
        { foo: ['bar', ['abc', 'def']] },
      ],
    ];

    it.each(succeeding)(
      'given %s, when applied, then the result matches the RFC',
      (_name, document, operations, result) => {
        expect(applyJsonPatch(document, operations)).toEqual(result);
      },
    );

    const failing: Array<[string, JsonValue, JsonPatchOperation[], RegExp]> = [
      [
        'A.9 testing a value: error',
        { baz: 'qux' },
        patch([{ op: 'test', path: '/baz', value: 'bar' }]),
        /expected "bar"/,
      ],
      [
        'A.12 adding to a nonexistent target',
        { foo: 'bar' },
        patch([{ op: 'add', path: '/baz/bat', value: 'qux' }]),
        /parent of the path does not exist/,
      ],
      [
        'A.15 comparing strings and numbers',
        { '/': 9, '~1': 10 },
        patch([{ op: 'test', path: '/~01', value: '10' }]),
        /expected "10"/,
      ],
    ];

    it.each(failing)(
      'given %s, when applied, then a JsonPatchError says why',
      (_name, document, operations, reason) => {
        expect(() => applyJsonPatch(document, operations)).toThrow(JsonPatchError);
        expect(() => applyJsonPatch(document, operations)).toThrow(reason);
      },
    );
  });

  it('given a remove of a missing member, when applied, then it fails naming the operation', () => {
    const apply = () =>
      applyJsonPatch(
        { a: 1 },
        patch([
          { op: 'test', path: '/a', value: 1 },
          { op: 'remove', path: '/b' },
        ]),
      );
    expect(apply).toThrow(/operation 1 \(remove \/b\): path does not exist/);
    try {
      apply();
    } catch (error) {
      expect((error as JsonPatchError).operationIndex).toBe(1);
    }
  });

  it('given a replace of a missing member, when applied, then it fails (replace never creates)', () => {
    expect(() => applyJsonPatch({ a: 1 }, patch([{ op: 'replace', path: '/b', value: 2 }]))).toThrow(JsonPatchError);
  });

  it('given array indices out of bounds, leading zeros or "-" outside add, when applied, then each fails', () => {
    const doc = { list: [1, 2] };
    expect(() => applyJsonPatch(doc, patch([{ op: 'add', path: '/list/3', value: 9 }]))).toThrow(/out of bounds/);
    expect(() => applyJsonPatch(doc, patch([{ op: 'remove', path: '/list/2' }]))).toThrow(/out of bounds/);
    expect(() => applyJsonPatch(doc, patch([{ op: 'remove', path: '/list/01' }]))).toThrow(/not an array index/);
    expect(() => applyJsonPatch(doc, patch([{ op: 'remove', path: '/list/-' }]))).toThrow(/not an array index/);
    expect(applyJsonPatch(doc, patch([{ op: 'add', path: '/list/2', value: 3 }]))).toEqual({ list: [1, 2, 3] });
  });

  it('given a move into its own child, when applied, then it fails', () => {
    expect(() => applyJsonPatch({ a: { b: {} } }, patch([{ op: 'move', from: '/a', path: '/a/b/c' }]))).toThrow(
      /proper prefix/,
    );
  });

  it('given copy, replace of the root and an escaped member, when applied, then each does what RFC 6902 says', () => {
    expect(applyJsonPatch({ a: { x: 1 } }, patch([{ op: 'copy', from: '/a', path: '/b' }]))).toEqual({
      a: { x: 1 },
      b: { x: 1 },
    });
    expect(applyJsonPatch({ a: 1 }, patch([{ op: 'replace', path: '', value: [1] }]))).toEqual([1]);
    expect(applyJsonPatch({}, patch([{ op: 'add', path: '/example.com~1team', value: 'x' }]))).toEqual({
      'example.com/team': 'x',
    });
  });

  it('given a copied object, when the copy is patched further, then the original is not aliased', () => {
    const result = applyJsonPatch(
      { a: { x: 1 } },
      patch([
        { op: 'copy', from: '/a', path: '/b' },
        { op: 'replace', path: '/b/x', value: 2 },
      ]),
    );
    expect(result).toEqual({ a: { x: 1 }, b: { x: 2 } });
  });

  it('given a patch whose last operation fails, when applied, then the input document is untouched', () => {
    const document = { a: 1, list: [1] };
    expect(() =>
      applyJsonPatch(
        document,
        patch([
          { op: 'add', path: '/b', value: 2 },
          { op: 'add', path: '/list/-', value: 2 },
          { op: 'test', path: '/a', value: 2 },
        ]),
      ),
    ).toThrow(JsonPatchError);
    expect(document).toEqual({ a: 1, list: [1] });
  });

  it('given an unknown op or a missing value, when applied, then it fails', () => {
    expect(() => applyJsonPatch({}, patch([{ op: 'merge', path: '/a' }]))).toThrow(/unknown operation "merge"/);
    expect(() => applyJsonPatch({}, patch([{ op: 'add', path: '/a' }]))).toThrow(/"value" is missing/);
  });

  it('given a test of objects with members in another order, when applied, then they are equal', () => {
    expect(() =>
      applyJsonPatch({ a: { x: 1, y: [1, 2] } }, patch([{ op: 'test', path: '/a', value: { y: [1, 2], x: 1 } }])),
    ).not.toThrow();
    expect(() => applyJsonPatch({ a: [1, 2] }, patch([{ op: 'test', path: '/a', value: [2, 1] }]))).toThrow(
      JsonPatchError,
    );
  });
});
