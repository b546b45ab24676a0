// Label and field selectors as the API server parses them (apimachinery's labels.Parse
// and fields.ParseSelector): the same grammar, the same matching of absent keys.

export type LabelOperator = 'exists' | 'notexists' | 'eq' | 'neq' | 'in' | 'notin' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export class SelectorParseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SelectorParseError';
  }
}

const KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Splits on commas that are not inside parentheses: `a in (x,y),b` is two requirements. */
function splitTopLevel(input: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of input) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (depth < 0) throw new SelectorParseError(`unable to parse requirement: found ')', expected: '('`);
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (depth !== 0) throw new SelectorParseError(`unable to parse requirement: found '', expected: ')'`);
  parts.push(current);
  return parts;
}

function checkKey(key: string): string {
  if (!KEY.test(key) || key.length > 317)
    throw new SelectorParseError(`unable to parse requirement: invalid label key "${key}"`);
  return key;
}

function checkValue(value: string): string {
  if (value.length > 63 || !VALUE.test(value))
    throw new SelectorParseError(`unable to parse requirement: invalid label value: "${value}"`);
  return value;
}

export function parseLabelSelector(input: string | undefined): LabelRequirement[] {
  if (input === undefined || input.trim() === '') return [];
  const requirements: LabelRequirement[] = [];
  for (const raw of splitTopLevel(input)) {
    const part = raw.trim();
    if (part === '') throw new SelectorParseError(`found '', expected: identifier`);
    let m: RegExpMatchArray | null;
    if ((m = part.match(/^!\s*([^\s=!<>(),]+)$/))) {
      requirements.push({ key: checkKey(m[1]!), operator: 'notexists', values: [] });
    } else if ((m = part.match(/^([^\s=!<>(),]+)\s+(in|notin)\s*\(([^()]*)\)$/))) {
      const values = m[3]!.split(',').map((v) => checkValue(v.trim()));
      requirements.push({ key: checkKey(m[1]!), operator: m[2] as 'in' | 'notin', values });
    } else if ((m = part.match(/^([^\s=!<>(),]+)\s*(==|=|!=)\s*([^\s=!<>(),]*)$/))) {
      const op = m[2] === '!=' ? 'neq' : 'eq';
      requirements.push({ key: checkKey(m[1]!), operator: op, values: [checkValue(m[3]!)] });
    } else if ((m = part.match(/^([^\s=!<>(),]+)\s*(<|>)\s*(-?\d+)$/))) {
      requirements.push({ key: checkKey(m[1]!), operator: m[2] === '<' ? 'lt' : 'gt', values: [m[3]!] });
    } else if ((m = part.match(/^([^\s=!<>(),]+)$/))) {
      requirements.push({ key: checkKey(m[1]!), operator: 'exists', values: [] });
    } else if ((m = part.match(/^[^\s=!<>(),]+\s+([^\s=!<>(),]+)/))) {
      throw new SelectorParseError(
        `unable to parse requirement: found '${m[1]}', expected: '=', '!=', '==', 'in', notin'`,
      );
    } else {
      throw new SelectorParseError(`unable to parse requirement: "${part}"`);
    }
  }
  return requirements;
}

export function matchesLabels(requirements: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(l, r.key);
    const value = l[r.key];
    switch (r.operator) {
      case 'exists':
        return has;
      case 'notexists':
        return !has;
      case 'eq':
        return has && value === r.values[0];
      case 'in':
        return has && r.values.includes(value!);
      // Absent keys satisfy != and notin, as on the real server.
      case 'neq':
        return !has || value !== r.values[0];
      case 'notin':
        return !has || !r.values.includes(value!);
      case 'gt':
      case 'lt': {
        if (!has || !/^-?\d+$/.test(value!)) return false;
        const n = Number(value);
        const bound = Number(r.values[0]);
        return r.operator === 'gt' ? n > bound : n < bound;
      }
    }
  });
}

export interface FieldRequirement {
  field: string;
  operator: 'eq' | 'neq';
  value: string;
}

export function parseFieldSelector(input: string | undefined): FieldRequirement[] {
  if (input === undefined || input.trim() === '') return [];
  return input.split(',').map((raw) => {
    const part = raw.trim();
    const m = part.match(/^([^=!]+?)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw new SelectorParseError(`invalid selector: '${input}'; can't understand '${part}'`);
    return { field: m[1]!, operator: m[2] === '!=' ? 'neq' : 'eq', value: m[3]! };
  });
}

/** Field values as the server's field-label conversion exposes them; undefined means "not supported". */
export type FieldResolver = (field: string) => string | undefined;

export function matchesFields(requirements: FieldRequirement[], resolve: FieldResolver): boolean {
  return requirements.every((r) => {
    const v = resolve(r.field) ?? '';
    return r.operator === 'eq' ? v === r.value : v !== r.value;
  });
}

/** A label selector from a LabelSelector object (matchLabels + matchExpressions), as workloads carry it. */
export function requirementsFromLabelSelector(selector: unknown): LabelRequirement[] {
  if (!selector || typeof selector !== 'object') return [];
  const s = selector as {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
  };
  const out: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(s.matchLabels ?? {})) out.push({ key, operator: 'eq', values: [value] });
  for (const e of s.matchExpressions ?? []) {
    const op = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: 'notexists' } as const)[e.operator as 'In'];
    if (op) out.push({ key: e.key, operator: op, values: e.values ?? [] });
  }
  return out;
}
