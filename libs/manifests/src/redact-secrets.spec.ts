import { redactSecrets } from './redact-secrets';

describe('redactSecrets', () => {
  it('given a Secret with data, stringData and a last-applied annotation, when redacted, then values are hidden and keys kept', () => {
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'db',
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"aHVudGVyMg=="}}',
          team: 'a',
        },
      },
      type: 'Opaque',
      data: { password: 'aHVudGVyMg==' },
      stringData: { user: 'admin' },
    };
    const [redacted] = redactSecrets([secret]);
    expect(redacted).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'db',
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '[REDACTED]', team: 'a' },
      },
      type: 'Opaque',
      data: { password: '[REDACTED]' },
      stringData: { user: '[REDACTED]' },
    });
    expect(JSON.stringify(redacted)).not.toContain('aHVudGVyMg');
  });

  it('given a Secret, when redacted, then the original is unchanged (the bundle still carries the data)', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, data: { password: 'cA==' } };
    redactSecrets([secret]);
    expect(secret.data.password).toBe('cA==');
  });

  it('given a ConfigMap, when redacted, then it is a copy left as it was', () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } };
    const result = redactSecrets([configMap]);
    expect(result).toEqual([configMap]);
    expect(result[0]).not.toBe(configMap);
  });

  it('given a kind named Secret in another API group, when redacted, then it is redacted too (erring on the safe side)', () => {
    const other = { apiVersion: 'example.com/v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'b' } };
    expect(redactSecrets([other])[0]!.data).toEqual({ a: '[REDACTED]' });
  });
});
