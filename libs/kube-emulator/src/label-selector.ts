// Label and field selectors as the API server parses them (apimachinery's labels.Parse
// and fields.ParseSelector). Label selector text is read by @flotilla/manifests' parser and
// matched by its matchesLabelSelector, keys and values checked by the emulator's own label
// validation (the server's); what is the emulator's own is the server's wording of
// a bad selector, which the conformance suite compares with the real kube-apiserver's.

import {
  InvalidLabelSelectorTextError,
  matchesLabelSelector,
  parseLabelSelectorText,
  type LabelSelector,
} from '@flotilla/manifests';
import { validateLabels } from './validation';

export class SelectorParseError extends Error {
  override readonly name = 'SelectorParseError';
}

export function parseLabelSelector(input: string | undefined): LabelSelector {
  if (input === undefined || input.trim() === '') return {};
  let selector: LabelSelector;
  try {
    selector = parseLabelSelectorText(input);
  } catch (err) {
    if (!(err instanceof InvalidLabelSelectorTextError)) throw err;
    const found = /^[^\s=!(),]+/.exec(input.slice(err.position))?.[0];
    throw new SelectorParseError(
      found && err.problem.startsWith('unexpected')
        ? `unable to parse requirement: found '${found}', expected: '=', '!=', '==', 'in', notin'`
        : `unable to parse requirement: ${err.problem}`,
      { cause: err },
    );
  }
  const keys = [...Object.keys(selector.matchLabels ?? {}), ...(selector.matchExpressions ?? []).map((r) => r.key)];
  const values = [
    ...Object.values(selector.matchLabels ?? {}),
    ...(selector.matchExpressions ?? []).flatMap((r) => r.values ?? []),
  ];
  const badKey = keys.find((key) => validateLabels({ [key]: '' }).length > 0);
  if (badKey !== undefined) throw new SelectorParseError(`unable to parse requirement: invalid label key "${badKey}"`);
  const badValue = values.find((value) => validateLabels({ key: value }).length > 0);
  if (badValue !== undefined)
    throw new SelectorParseError(`unable to parse requirement: invalid label value: "${badValue}"`);
  return selector;
}

export function matchesLabels(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  return matchesLabelSelector(selector, labels ?? {});
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
