import { matchesLabelSelector, type LabelSelector, type LabelSelectorRequirement } from '@flotilla/manifests';
import { ValidationError } from './errors';

/**
 * Kubernetes label and label-selector rules (apimachinery `validation` and
 * `labels.Selector`), reimplemented so cluster groups select clusters exactly as a
 * Kubernetes user expects.
 */
export type Labels = Record<string, string>;

/** One shape for hub, renderer and CLI: @flotilla/manifests' (metav1.LabelSelector). */
export type { LabelSelector, LabelSelectorRequirement };
export type SelectorOperator = LabelSelectorRequirement['operator'];

const qualifiedNameMaxLength = 63;
const labelValueMaxLength = 63;
const dnsSubdomainMaxLength = 253;
const qualifiedNamePattern = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const dnsSubdomainPattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const operators: readonly SelectorOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/** Why `key` is not a valid label key, or undefined when it is. */
export function labelKeyProblem(key: string): string | undefined {
  const parts = key.split('/');
  if (parts.length > 2) return 'a label key has at most one "/" (prefix/name)';
  const name = parts.length === 2 ? parts[1]! : parts[0]!;
  if (parts.length === 2) {
    const prefix = parts[0]!;
    if (prefix.length === 0) return 'the prefix before "/" must not be empty';
    if (prefix.length > dnsSubdomainMaxLength) return `the prefix must be at most ${dnsSubdomainMaxLength} characters`;
    if (!dnsSubdomainPattern.test(prefix)) return 'the prefix must be a lowercase DNS subdomain (e.g. example.com)';
  }
  if (name.length === 0) return 'the name part must not be empty';
  if (name.length > qualifiedNameMaxLength) return `the name part must be at most ${qualifiedNameMaxLength} characters`;
  if (!qualifiedNamePattern.test(name)) {
    return 'the name part must consist of alphanumerics, "-", "_" or ".", and start and end with an alphanumeric';
  }
  return undefined;
}

/** Why `value` is not a valid label value, or undefined when it is (the empty value is valid). */
export function labelValueProblem(value: string): string | undefined {
  if (value.length === 0) return undefined;
  if (value.length > labelValueMaxLength) return `a label value must be at most ${labelValueMaxLength} characters`;
  if (!qualifiedNamePattern.test(value)) {
    return 'a label value must consist of alphanumerics, "-", "_" or ".", and start and end with an alphanumeric';
  }
  return undefined;
}

/** Throws a ValidationError naming the first bad key or value (`field` is `<path>.<key>`). */
export function validateLabels(labels: Labels, path = 'labels'): void {
  for (const [key, value] of Object.entries(labels)) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) throw new ValidationError(`invalid label key "${key}": ${keyProblem}`, `${path}.${key}`);
    if (typeof value !== 'string')
      throw new ValidationError(`label "${key}" must have a string value`, `${path}.${key}`);
    const valueProblem = labelValueProblem(value);
    if (valueProblem) throw new ValidationError(`invalid value for label "${key}": ${valueProblem}`, `${path}.${key}`);
  }
}

/** Throws a ValidationError naming the first bad part of the selector. */
export function validateLabelSelector(selector: LabelSelector, path = 'selector'): void {
  validateLabels(selector.matchLabels ?? {}, `${path}.matchLabels`);
  (selector.matchExpressions ?? []).forEach((requirement, index) => {
    const at = `${path}.matchExpressions[${index}]`;
    const keyProblem = labelKeyProblem(requirement.key);
    if (keyProblem) throw new ValidationError(`invalid key "${requirement.key}": ${keyProblem}`, `${at}.key`);
    if (!operators.includes(requirement.operator)) {
      throw new ValidationError(`operator must be one of ${operators.join(', ')}`, `${at}.operator`);
    }
    const values = requirement.values ?? [];
    if (requirement.operator === 'In' || requirement.operator === 'NotIn') {
      if (values.length === 0)
        throw new ValidationError(`values must be non-empty for operator ${requirement.operator}`, `${at}.values`);
      values.forEach((value, i) => {
        const problem = labelValueProblem(value);
        if (problem) throw new ValidationError(`invalid value "${value}": ${problem}`, `${at}.values[${i}]`);
      });
    } else if (values.length > 0) {
      throw new ValidationError(`values must be empty for operator ${requirement.operator}`, `${at}.values`);
    }
  });
}

/**
 * Whether `labels` satisfy every requirement of `selector` (AND). As with
 * metav1.LabelSelector, an empty selector matches everything and NotIn also matches a
 * missing key. One implementation for hub, renderer and CLI: @flotilla/manifests'.
 */
export { matchesLabelSelector };
