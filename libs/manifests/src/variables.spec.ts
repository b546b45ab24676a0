import { substituteString, substituteVariables, variableSyntaxProblems } from './variables';

const cluster = { name: 'eu-1', labels: { region: 'eu-west', 'topology.kubernetes.io/zone': 'eu-west-1a' } };

describe('cluster variables', () => {
  it('given name and label references, when substituted, then they take the cluster values', () => {
    expect(substituteString('${cluster.name}-${cluster.labels.region}', cluster)).toEqual({
      text: 'eu-1-eu-west',
      problems: [],
    });
    expect(substituteString('${cluster.labels.topology.kubernetes.io/zone}', cluster).text).toBe('eu-west-1a');
  });

  it('given $${...}, when substituted, then it is a literal ${...}', () => {
    expect(substituteString('echo $${HOME} in ${cluster.name}', cluster)).toEqual({
      text: 'echo ${HOME} in eu-1',
      problems: [],
    });
  });

  it('given text without references or with a lone $, when substituted, then it is unchanged', () => {
    expect(substituteString('costs $5 {not a var}', cluster)).toEqual({ text: 'costs $5 {not a var}', problems: [] });
  });

  it('given a missing label, an unknown name and an unterminated reference, when substituted, then each is a problem', () => {
    expect(substituteString('${cluster.labels.missing}', cluster).problems).toEqual([
      'unknown variable ${cluster.labels.missing}: cluster eu-1 has no label "missing"',
    ]);
    expect(substituteString('${HOME}', cluster).problems[0]).toMatch(/unknown variable \$\{HOME\}/);
    expect(substituteString('${cluster.name', cluster).problems[0]).toMatch(/unterminated/);
  });

  it('given a label named like an Object.prototype member, when substituted, then it is unknown, not inherited', () => {
    expect(substituteString('${cluster.labels.constructor}', cluster).problems).toHaveLength(1);
  });

  it('given a nested value, when substituted, then only string values change, keys stay as written', () => {
    const { value, problems } = substituteVariables(
      { '${cluster.name}': ['${cluster.name}', 3, true, null, { x: '${cluster.labels.region}' }] },
      cluster,
    );
    expect(problems).toEqual([]);
    expect(value).toEqual({ '${cluster.name}': ['eu-1', 3, true, null, { x: 'eu-west' }] });
  });

  it('given a label value that looks like YAML, when substituted, then it stays one string', () => {
    const hostile = { name: 'c', labels: { region: 'x\nkind: Secret' } };
    expect(substituteVariables({ a: '${cluster.labels.region}' }, hostile).value).toEqual({ a: 'x\nkind: Secret' });
  });

  it('given references checked without a cluster, then only syntax problems are reported', () => {
    expect(variableSyntaxProblems('${cluster.labels.anything} ${cluster.name}')).toEqual([]);
    expect(variableSyntaxProblems('${cluster.nmae}')).toHaveLength(1);
    expect(variableSyntaxProblems('${cluster.labels.}')).toHaveLength(1);
  });
});
