// kubectl's label-selector text (`env=prod,region in (eu,us),!legacy`) to and from
// metav1.LabelSelector, so the CLI's `-l`, the hub's `?selector=` and anything else that
// reads a selector from a person agree on one syntax. This reads syntax only: whether keys
// and values are valid labels is the domain's rule (validateLabelSelector).
import { ManifestsError } from './errors';
import type { LabelSelector, LabelSelectorRequirement } from './label-selector';

/** Selector text that does not follow kubectl's syntax; `position` is the 0-based offset of the wrong part. */
export class InvalidLabelSelectorTextError extends ManifestsError {
  constructor(
    readonly text: string,
    readonly position: number,
    /** What is wrong, without the text or the position (e.g. `expected "," before "env"`). */
    readonly problem: string,
    options?: { cause?: unknown },
  ) {
    super(`selector "${text}": ${problem} (at character ${position + 1})`, options);
  }
}

type Operator = '=' | '==' | '!=' | '!' | '(' | ')' | ',';
type Token = { kind: 'word'; text: string; at: number } | { kind: 'op'; text: Operator; at: number };

// Characters that end a word: a key or value can never contain them (label rules agree).
const wordEnd = /[\s=!(),]/;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (text.startsWith('==', i) || text.startsWith('!=', i)) {
      tokens.push({ kind: 'op', text: text.slice(i, i + 2) as '==' | '!=', at: i });
      i += 2;
    } else if ('=!(),'.includes(c)) {
      tokens.push({ kind: 'op', text: c as Operator, at: i });
      i++;
    } else {
      let j = i;
      while (j < text.length && !wordEnd.test(text[j]!)) j++;
      tokens.push({ kind: 'word', text: text.slice(i, j), at: i });
      i = j;
    }
  }
  return tokens;
}

/**
 * Reads kubectl's syntax: `key=value` (or `==`), `key!=value`, `key in (a,b)`,
 * `key notin (a,b)`, `key`, `!key`, joined by commas (AND). `key!=value` becomes NotIn with
 * one value, as kubectl sends it; `key=` selects the empty value; blank text is the empty
 * selector (everything). Throws InvalidLabelSelectorTextError naming the first wrong part.
 */
export function parseLabelSelectorText(text: string): LabelSelector {
  const tokens = tokenize(text);
  let pos = 0;
  const fail = (problem: string, at: number = tokens[pos]?.at ?? text.length): never => {
    throw new InvalidLabelSelectorTextError(text, at, problem);
  };
  const peek = () => tokens[pos];
  const isOp = (t: Token | undefined, op: Operator) => t?.kind === 'op' && t.text === op;
  const word = (what: string): string => {
    const t = tokens[pos];
    if (t?.kind !== 'word') return fail(`expected ${what}${t ? ` before "${t.text}"` : ' at the end'}`);
    pos++;
    return t.text;
  };

  const matchLabels: Record<string, string> = {};
  const matchExpressions: LabelSelectorRequirement[] = [];
  if (tokens.length === 0) return {};
  for (;;) {
    if (isOp(peek(), '!')) {
      pos++;
      matchExpressions.push({ key: word('a label key after "!"'), operator: 'DoesNotExist' });
    } else {
      const keyAt = peek()?.at ?? text.length;
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
          if (Object.hasOwn(matchLabels, key) && matchLabels[key] !== value) {
            fail(`"${key}" cannot equal two values`, keyAt);
          }
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
    if (pos === tokens.length) fail('a trailing "," with no requirement after it', tokens[pos - 1]!.at);
  }
  return {
    ...(Object.keys(matchLabels).length > 0 ? { matchLabels } : {}),
    ...(matchExpressions.length > 0 ? { matchExpressions } : {}),
  };
}

/**
 * The selector written in the syntax parseLabelSelectorText reads (equalities first, then
 * expressions in order); the empty selector is "" (which parses back to everything).
 * One-value NotIn is written `key notin (v)`, which reads back the same as `key!=v`.
 */
export function formatLabelSelector(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const r of selector.matchExpressions ?? []) {
    const values = (r.values ?? []).join(',');
    if (r.operator === 'In') parts.push(`${r.key} in (${values})`);
    else if (r.operator === 'NotIn') parts.push(`${r.key} notin (${values})`);
    else if (r.operator === 'Exists') parts.push(r.key);
    else parts.push(`!${r.key}`);
  }
  return parts.join(',');
}
