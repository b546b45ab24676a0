import { matchesLabelSelector } from '@flotilla/manifests';
import { UsageError } from '../errors';
import type { Labels } from './label-changes';

/**
 * kubectl's label-selector syntax (`env=prod,region in (eu,us),!legacy`) to and from
 * metav1.LabelSelector, which is what the hub stores for a cluster group. The hub owns the
 * rules for keys and values and names the bad part in its 400; this only reads the syntax.
 */
export type SelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export interface LabelSelectorRequirement {
  key: string;
  operator: SelectorOperator;
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: LabelSelectorRequirement[];
}

type Token = { kind: 'word'; text: string } | { kind: 'op'; text: '=' | '==' | '!=' | '!' | '(' | ')' | ',' };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (text.startsWith('==', i) || text.startsWith('!=', i)) {
      tokens.push({ kind: 'op', text: text.slice(i, i + 2) as '==' | '!=' });
      i += 2;
    } else if ('=!(),'.includes(c)) {
      tokens.push({ kind: 'op', text: c as '=' | '!' | '(' | ')' | ',' });
      i++;
    } else {
      let j = i;
      while (j < text.length && !/[\s=!(),]/.test(text[j]!)) j++;
      tokens.push({ kind: 'word', text: text.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

export function parseSelector(text: string): LabelSelector {
  const tokens = tokenize(text);
  let pos = 0;
  const fail = (problem: string): never => {
    throw new UsageError(`selector "${text}": ${problem}`);
  };
  const peek = () => tokens[pos];
  const word = (what: string): string => {
    const t = tokens[pos];
    if (t?.kind !== 'word') fail(`expected ${what}${t ? ` before "${t.text}"` : ' at the end'}`);
    pos++;
    return (t as { text: string }).text;
  };
  const isOp = (t: Token | undefined, op: string) => t?.kind === 'op' && t.text === op;

  const matchLabels: Labels = {};
  const matchExpressions: LabelSelectorRequirement[] = [];
  if (tokens.length === 0) return {};
  for (;;) {
    if (isOp(peek(), '!')) {
      pos++;
      matchExpressions.push({ key: word('a label key after "!"'), operator: 'DoesNotExist' });
    } else {
      const key = word('a label key');
      const next = peek();
      if (next === undefined || isOp(next, ',')) {
        matchExpressions.push({ key, operator: 'Exists' });
      } else if (isOp(next, '=') || isOp(next, '==') || isOp(next, '!=')) {
        pos++;
        // An empty value is a valid label value (`env=` selects env set to "").
        const value = peek()?.kind === 'word' ? word('a value') : '';
        if (isOp(next, '!=')) {
          matchExpressions.push({ key, operator: 'NotIn', values: [value] });
        } else {
          if (key in matchLabels && matchLabels[key] !== value) fail(`"${key}" cannot equal two values`);
          matchLabels[key] = value;
        }
      } else if (next.kind === 'word' && (next.text === 'in' || next.text === 'notin')) {
        pos++;
        if (!isOp(peek(), '(')) fail(`expected "(" after "${key} ${next.text}"`);
        pos++;
        const values: string[] = [];
        for (;;) {
          values.push(word(`a value in "${key} ${next.text} (...)"`));
          if (isOp(peek(), ',')) {
            pos++;
            continue;
          }
          if (isOp(peek(), ')')) {
            pos++;
            break;
          }
          fail(`expected "," or ")" in "${key} ${next.text} (...)"`);
        }
        matchExpressions.push({ key, operator: next.text === 'in' ? 'In' : 'NotIn', values });
      } else {
        fail(`unexpected "${next.text}" after "${key}" (use =, !=, in (...), notin (...))`);
      }
    }
    if (pos === tokens.length) break;
    if (!isOp(peek(), ',')) fail(`expected "," before "${peek()!.text}"`);
    pos++;
    if (pos === tokens.length) fail('a trailing "," with no requirement after it');
  }
  return {
    ...(Object.keys(matchLabels).length > 0 ? { matchLabels } : {}),
    ...(matchExpressions.length > 0 ? { matchExpressions } : {}),
  };
}

/** The selector written back in the syntax parseSelector reads. */
export function formatSelector(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const r of selector.matchExpressions ?? []) {
    const values = (r.values ?? []).join(',');
    if (r.operator === 'In') parts.push(`${r.key} in (${values})`);
    else if (r.operator === 'NotIn') parts.push(`${r.key} notin (${values})`);
    else if (r.operator === 'Exists') parts.push(r.key);
    else parts.push(`!${r.key}`);
  }
  // An empty selector matches every cluster, as metav1.LabelSelector does.
  return parts.length === 0 ? '<every cluster>' : parts.join(',');
}

/** The hub's semantics exactly (one implementation, in @flotilla/manifests): AND of all parts; NotIn also matches a missing key. */
export const matchesSelector: (selector: LabelSelector, labels: Labels) => boolean = matchesLabelSelector;
