import { compare, FieldSet, mergeApplied, pathToString, toFieldSet } from './field-set';
import { applyJsonPatch, mergePatch } from './json-patch';
import { ApplyConflictError, applyConfiguration, updateManagedFields, type ManagedFieldsEntry } from './managed-fields';
import { builtinSchema } from './schema';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const deploymentSchema = builtinSchema('apps/v1', 'Deployment');
const cmSchema = builtinSchema('v1', 'ConfigMap');

function deployment(image: string, replicas: number): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'ns', labels: { app: 'web' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'nginx', image, ports: [{ containerPort: 80 }] }] },
      },
    },
  };
}

function owners(entries: ManagedFieldsEntry[]): Record<string, unknown> {
  return Object.fromEntries(entries.map((e) => [`${e.manager}/${e.operation}`, e.fieldsV1]));
}

describe('FieldsV1 sets', () => {
  it('derives the fields an applied Deployment sets, as v1.20 encodes them', () => {
    const set = toFieldSet(deployment('nginx:1', 2), deploymentSchema);
    const fields = set.toFieldsV1() as Record<string, Record<string, unknown>>;
    expect(fields['f:spec']).toEqual({
      'f:replicas': {},
      'f:selector': {},
      'f:template': {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:containers': {
            'k:{"name":"nginx"}': {
              '.': {},
              'f:image': {},
              'f:name': {},
              'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
            },
          },
        },
      },
    });
  });

  it('round-trips through the FieldsV1 encoding and supports set algebra', () => {
    const a = FieldSet.fromFieldsV1({ 'f:data': { '.': {}, 'f:a': {}, 'f:b': {} } });
    const b = FieldSet.fromFieldsV1({ 'f:data': { 'f:b': {} } });
    expect(a.difference(b).toFieldsV1()).toEqual({ 'f:data': { '.': {}, 'f:a': {} } });
    expect(a.intersection(b).toFieldsV1()).toEqual({ 'f:data': { 'f:b': {} } });
    expect(
      b
        .union(FieldSet.fromPaths([['f:data', 'f:c']]))
        .paths()
        .map(pathToString),
    ).toEqual(['.data.b', '.data.c']);
  });

  it('names paths the way conflicts report them', () => {
    expect(pathToString(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"nginx"}', 'f:image'])).toBe(
      '.spec.template.spec.containers[name="nginx"].image',
    );
  });

  it('compares objects into added, modified and removed paths', () => {
    const c = compare({ data: { a: '1', b: '2' } }, { data: { a: '9', c: '3' } }, cmSchema);
    expect(c.added.paths().map(pathToString)).toEqual(['.data.c']);
    expect(c.modified.paths().map(pathToString)).toEqual(['.data.a']);
    expect(c.removed.paths().map(pathToString)).toEqual(['.data.b']);
  });

  it('merges keyed lists by key and keeps what the configuration does not mention', () => {
    const live = {
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'a', image: 'x', imagePullPolicy: 'Always' },
              { name: 'b', image: 'y' },
            ],
          },
        },
      },
    };
    const merged = mergeApplied(
      live,
      { spec: { template: { spec: { containers: [{ name: 'b', image: 'z' }] } } } },
      deploymentSchema,
    ) as typeof live;
    expect(merged.spec.template.spec.containers).toEqual([
      { name: 'a', image: 'x', imagePullPolicy: 'Always' },
      { name: 'b', image: 'z' },
    ]);
  });
});

describe('server-side apply', () => {
  const cm = (data: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', namespace: 'ns' },
    data,
  });
  const apply = (
    live: Record<string, unknown> | undefined,
    config: Record<string, unknown>,
    manager: string,
    force = false,
  ) => applyConfiguration({ live, config, manager, force, apiVersion: 'v1', schema: cmSchema, now: NOW });
  const withManaged = (r: ReturnType<typeof apply>) => ({
    ...r.object,
    metadata: { ...(r.object.metadata as object), managedFields: r.managedFields },
  });

  it('owns exactly the applied fields and records the operation', () => {
    const r = apply(undefined, cm({ a: '1' }), 'mgr-a');
    expect(r.managedFields).toEqual([
      {
        manager: 'mgr-a',
        operation: 'Apply',
        apiVersion: 'v1',
        time: '2026-01-01T00:00:00Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { 'f:a': {} } },
      },
    ]);
  });

  it('conflicts on a field another manager owns with a different value, unless forced', () => {
    const first = withManaged(apply(undefined, cm({ a: '1' }), 'mgr-a'));
    let error: unknown;
    try {
      apply(first, cm({ a: '2' }), 'mgr-b');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ApplyConflictError);
    expect((error as ApplyConflictError).toStatus()).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "mgr-a": .data.a',
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "mgr-a"', field: '.data.a' }] },
    });
    const forced = apply(first, cm({ a: '2' }), 'mgr-b', true);
    expect(owners(forced.managedFields)).toEqual({ 'mgr-b/Apply': { 'f:data': { 'f:a': {} } } });
  });

  it('shares ownership when the value is the same, and reports a no-op on re-apply', () => {
    const first = withManaged(apply(undefined, cm({ a: '1' }), 'mgr-a'));
    const shared = apply(first, cm({ a: '1' }), 'mgr-b');
    expect(shared.changed).toBe(false);
    expect(Object.keys(owners(shared.managedFields)).sort()).toEqual(['mgr-a/Apply', 'mgr-b/Apply']);
    const again = apply(withManaged(shared), cm({ a: '1' }), 'mgr-b');
    expect(again.changed).toBe(false);
    expect(again.managedFields).toEqual(shared.managedFields);
  });

  it('removes fields a manager stops applying unless someone else owns them', () => {
    const first = withManaged(apply(undefined, cm({ a: '1', b: '2' }), 'mgr-a'));
    const shared = withManaged(apply(first, cm({ b: '2' }), 'mgr-b'));
    const shrunk = apply(shared, cm({}), 'mgr-a');
    expect(shrunk.object.data).toEqual({ b: '2' });
  });

  it('lets an update take the fields it changed', () => {
    const first = withManaged(apply(undefined, cm({ a: '1', b: '2' }), 'mgr-a'));
    const updated = { ...first, data: { a: '1', b: '3' } };
    const entries = updateManagedFields({
      live: first,
      updated,
      manager: 'kubectl',
      apiVersion: 'v1',
      schema: cmSchema,
      now: NOW,
    });
    expect(owners(entries)).toEqual({
      'mgr-a/Apply': { 'f:data': { 'f:a': {} } },
      'kubectl/Update': { 'f:data': { 'f:b': {} } },
    });
  });
});

describe('patches', () => {
  it('merge patch sets, replaces and deletes with null', () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 } }, { b: { c: null, e: 4 }, f: [1] })).toEqual({
      a: 1,
      b: { d: 3, e: 4 },
      f: [1],
    });
  });

  it('JSON patch applies operations in order and fails a test', () => {
    expect(
      applyJsonPatch({ a: [1, 2] }, [
        { op: 'add', path: '/a/-', value: 3 },
        { op: 'replace', path: '/a/0', value: 0 },
        { op: 'copy', from: '/a', path: '/b' },
        { op: 'remove', path: '/a/1' },
      ]),
    ).toEqual({ a: [0, 3], b: [0, 2, 3] });
    expect(() => applyJsonPatch({ a: 1 }, [{ op: 'test', path: '/a', value: 2 }])).toThrow('testing value /a failed');
  });
});
