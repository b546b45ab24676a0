import { collisions, objectKey } from './object-collisions';

const cm = (namespace: string | undefined, name: string, apiVersion = 'v1') => ({
  apiVersion,
  kind: 'ConfigMap',
  metadata: { name, ...(namespace ? { namespace } : {}) },
});

describe('object collisions between applications on one cluster', () => {
  it('an object is named by group, kind, namespace and name (not by version)', () => {
    expect(objectKey(cm('shop', 'a'))).toBe(objectKey(cm('shop', 'a')));
    expect(objectKey({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'w', namespace: 'n' } })).toBe(
      objectKey({ apiVersion: 'apps/v1beta2', kind: 'Deployment', metadata: { name: 'w', namespace: 'n' } }),
    );
    expect(objectKey(cm('shop', 'a'))).not.toBe(objectKey(cm('web', 'a')));
    expect(objectKey({ kind: 'ConfigMap' })).toBeUndefined();
  });

  it('names the object, the cluster and the application that has it; nothing when apart', () => {
    const others = new Map([[objectKey(cm('shop', 'extra'))!, 'shop']]);
    expect(collisions([cm('shop', 'extra'), cm('shop', 'own')], others, 'eu-1')).toEqual([
      'ConfigMap shop/extra is already managed on cluster eu-1 by application shop: two applications cannot manage one object; remove it from one of them',
    ]);
    expect(collisions([cm('web', 'extra')], others, 'eu-1')).toEqual([]);
  });
});
