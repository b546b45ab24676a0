// Cluster variables in manifests and patches: `${cluster.name}` and `${cluster.labels.<key>}`.
// They are substituted in string values after parsing, never in the YAML text, so a label
// value cannot inject structure. Every `${...}` is a reference (a typo must fail the render,
// not ship literally); `$${...}` writes a literal `${...}`, e.g. for shell scripts in ConfigMaps.

import { isJsonObject, setMember, type JsonObject, type JsonValue } from './json';

export interface ClusterVariables {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

const labelsPrefix = 'cluster.labels.';

/** Why `expression` (the text between `${` and `}`) is not a variable name, or undefined. */
function syntaxProblem(expression: string): string | undefined {
  if (expression === 'cluster.name') return undefined;
  if (expression.startsWith(labelsPrefix) && expression.length > labelsPrefix.length) return undefined;
  return `unknown variable \${${expression}} (known: \${cluster.name}, \${cluster.labels.<key>}; write $\${...} for a literal)`;
}

interface Scan {
  readonly text: string;
  readonly problems: string[];
}

function scan(text: string, resolve: (expression: string) => string | { problem: string }): Scan {
  if (!text.includes('${')) return { text, problems: [] };
  const problems: string[] = [];
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$${', i)) {
      out += '${';
      i += 3;
      continue;
    }
    if (text.startsWith('${', i)) {
      const end = text.indexOf('}', i + 2);
      if (end < 0) {
        problems.push(`unterminated variable reference "${text.slice(i, i + 40)}" (write $\${ for a literal \${)`);
        out += text.slice(i);
        break;
      }
      const resolved = resolve(text.slice(i + 2, end));
      if (typeof resolved === 'string') {
        out += resolved;
      } else {
        problems.push(resolved.problem);
        out += text.slice(i, end + 1);
      }
      i = end + 1;
      continue;
    }
    out += text[i];
    i++;
  }
  return { text: out, problems };
}

/** Problems with the variable references in `text` that do not depend on a cluster (used to validate application files). */
export function variableSyntaxProblems(text: string): string[] {
  return scan(text, (expression) => {
    const problem = syntaxProblem(expression);
    return problem ? { problem } : '';
  }).problems;
}

export function substituteString(text: string, cluster: ClusterVariables): Scan {
  return scan(text, (expression) => {
    const problem = syntaxProblem(expression);
    if (problem) return { problem };
    if (expression === 'cluster.name') return cluster.name;
    const key = expression.slice(labelsPrefix.length);
    const value = Object.hasOwn(cluster.labels, key) ? cluster.labels[key] : undefined;
    if (value === undefined)
      return { problem: `unknown variable \${${expression}}: cluster ${cluster.name} has no label "${key}"` };
    return value;
  });
}

/** A copy of `value` with variables substituted in every string value (object keys are left as written). */
export function substituteVariables(
  value: JsonValue,
  cluster: ClusterVariables,
): { value: JsonValue; problems: string[] } {
  const problems = new Set<string>();
  const walk = (node: JsonValue): JsonValue => {
    if (typeof node === 'string') {
      const result = substituteString(node, cluster);
      for (const problem of result.problems) problems.add(problem);
      return result.text;
    }
    if (Array.isArray(node)) return node.map(walk);
    if (isJsonObject(node)) {
      const copy: JsonObject = {};
      for (const key of Object.keys(node)) setMember(copy, key, walk(node[key]!));
      return copy;
    }
    return node;
  };
  const substituted = walk(value);
  return { value: substituted, problems: [...problems] };
}
