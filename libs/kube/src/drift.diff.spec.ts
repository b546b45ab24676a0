import { computeDrift, diffJson } from './drift.diff';
import { REDACTED, redactMessage } from './redaction';
import type { KubeObject } from './resource-ref';

const cm = (data: Record<string, string>, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c', namespace: 'n', resourceVersion: '1', managedFields: [], ...extra },
  data,
});

describe('drift', () => {
  it('reports the JSON pointer of a changed value with desired and live', () => {
    expect(computeDrift(cm({}), cm({ a: '1', b: '2' }), cm({ a: '1', b: 'edited' }), {})).toEqual([
      { path: '/data/b', desired: '2', live: 'edited' },
    ]);
  });

  it('ignores server bookkeeping and status', () => {
    const live = { ...cm({ a: '1' }, { resourceVersion: '99', generation: 4, uid: 'u' }), status: { x: 1 } };
    expect(computeDrift(cm({}), cm({ a: '1' }), live, {})).toEqual([]);
  });

  it('escapes keys with slashes and tildes', () => {
    expect(diffJson({ 'a/b~c': 1 }, { 'a/b~c': 2 })).toEqual([{ path: '/a~1b~0c', desired: 1, live: 2 }]);
  });

  it('compares lists element by element, and as a whole when their length differs', () => {
    expect(diffJson({ l: [1, 2] }, { l: [1, 3] })).toEqual([{ path: '/l/1', desired: 2, live: 3 }]);
    expect(diffJson({ l: [1, 2] }, { l: [1] })).toEqual([{ path: '/l', desired: [1, 2], live: [1] }]);
  });

  it('reports a field that disappeared with an undefined live value', () => {
    expect(diffJson({ a: 1 }, {})).toEqual([{ path: '/a', desired: 1, live: undefined }]);
  });

  it('never reports ignored fields, by kind or group/kind, with * segments', () => {
    const dep = (replicas: number, image: string): KubeObject => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'd' },
      spec: {
        replicas,
        template: {
          spec: {
            containers: [
              { name: 'a', image },
              { name: 'b', image },
            ],
          },
        },
      },
    });
    expect(
      computeDrift(dep(1, 'x'), dep(1, 'x'), dep(5, 'y'), {
        'apps/Deployment': ['/spec/replicas', '/spec/template/spec/containers/*/image'],
      }),
    ).toEqual([]);
    expect(computeDrift(dep(1, 'x'), dep(1, 'x'), dep(5, 'x'), { Deployment: ['/spec/replicas'] })).toEqual([]);
    expect(computeDrift(dep(1, 'x'), dep(1, 'x'), dep(5, 'x'), { ConfigMap: ['/spec/replicas'] })).toHaveLength(1);
  });

  it('redacts Secret values on both sides but keeps label paths readable', () => {
    const secret = (value: string, label: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 's',
        labels: { l: label },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': value },
      },
      data: { password: value },
    });
    const fields = computeDrift(secret('c2VjcmV0', 'x'), secret('c2VjcmV0', 'x'), secret('aGFja2Vk', 'y'), {});
    expect(fields).toEqual([
      { path: '/data/password', desired: REDACTED, live: REDACTED },
      {
        path: '/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration',
        desired: REDACTED,
        live: REDACTED,
      },
      { path: '/metadata/labels/l', desired: 'x', live: 'y' },
    ]);
    expect(JSON.stringify(fields)).not.toMatch(/c2VjcmV0|aGFja2Vk/);
  });

  it('redacts quoted values from API messages about Secrets only', () => {
    const msg = 'Secret "s" is invalid: data[bad key]: Invalid value: "hunter2": a valid config key';
    expect(redactMessage({ apiVersion: 'v1', kind: 'Secret' }, msg)).not.toContain('hunter2');
    expect(redactMessage({ apiVersion: 'v1', kind: 'ConfigMap' }, msg)).toContain('hunter2');
  });
});
