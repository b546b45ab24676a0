// Name and label validation with the real server's messages (apimachinery's
// util/validation), so that a 422 from the emulator reads like one from a cluster.
import type { FieldError } from './status-error';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

const MSG_SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const MSG_LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const MSG_1035 =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const MSG_LABEL_VALUE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const MSG_QUALIFIED =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

/** Which rule a resource's names follow. */
export type NameRule = 'dns1123-subdomain' | 'dns1123-label' | 'dns1035-label' | 'any';

export function validateName(name: string, rule: NameRule, field = 'metadata.name'): FieldError[] {
  const errors: FieldError[] = [];
  const push = (detail: string): void => {
    errors.push({ type: 'FieldValueInvalid', field, value: name, detail });
  };
  switch (rule) {
    case 'dns1123-subdomain':
      if (name.length > 253) push('must be no more than 253 characters');
      if (!DNS1123_SUBDOMAIN.test(name)) push(MSG_SUBDOMAIN);
      break;
    case 'dns1123-label':
      if (name.length > 63) push('must be no more than 63 characters');
      if (!DNS1123_LABEL.test(name)) push(MSG_LABEL);
      break;
    case 'dns1035-label':
      if (name.length > 63) push('must be no more than 63 characters');
      if (!DNS1035_LABEL.test(name)) push(MSG_1035);
      break;
    case 'any':
      if (name.includes('/') || name === '.' || name === '..') push(`may not contain '/'`);
      break;
  }
  return errors;
}

/** Label keys are qualified names with an optional DNS subdomain prefix. */
export function validateLabels(labels: unknown, field = 'metadata.labels'): FieldError[] {
  if (labels === undefined || labels === null) return [];
  if (typeof labels !== 'object' || Array.isArray(labels)) {
    return [{ type: 'FieldValueInvalid', field, value: labels, detail: 'must be a map of string to string' }];
  }
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries(labels as Record<string, unknown>)) {
    errors.push(...validateQualifiedName(key, field));
    if (typeof value !== 'string') {
      errors.push({ type: 'FieldValueInvalid', field, value, detail: 'must be a string' });
    } else if (value.length > 63 || !LABEL_VALUE.test(value)) {
      errors.push({
        type: 'FieldValueInvalid',
        field,
        value,
        detail: value.length > 63 ? 'must be no more than 63 characters' : MSG_LABEL_VALUE,
      });
    }
  }
  return errors;
}

export function validateQualifiedName(key: string, field: string): FieldError[] {
  const parts = key.split('/');
  let name = key;
  const errors: FieldError[] = [];
  if (parts.length === 2) {
    const [prefix, rest] = parts as [string, string];
    name = rest;
    if (!prefix || prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)) {
      errors.push({ type: 'FieldValueInvalid', field, value: key, detail: `prefix part ${MSG_SUBDOMAIN}` });
    }
  } else if (parts.length > 2) {
    errors.push({
      type: 'FieldValueInvalid',
      field,
      value: key,
      detail: `${MSG_QUALIFIED} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    });
    return errors;
  }
  if (name.length === 0)
    errors.push({ type: 'FieldValueInvalid', field, value: key, detail: 'name part must be non-empty' });
  else if (name.length > 63)
    errors.push({
      type: 'FieldValueInvalid',
      field,
      value: key,
      detail: 'name part must be no more than 63 characters',
    });
  else if (!QUALIFIED_NAME.test(name))
    errors.push({ type: 'FieldValueInvalid', field, value: key, detail: MSG_QUALIFIED });
  return errors;
}

/** ConfigMap and Secret keys: `[-._a-zA-Z0-9]+`, at most 253 characters. */
export function validateDataKeys(data: unknown, field: string): FieldError[] {
  if (!data || typeof data !== 'object') return [];
  const errors: FieldError[] = [];
  for (const key of Object.keys(data)) {
    if (key.length > 253 || !/^[-._a-zA-Z0-9]+$/.test(key)) {
      errors.push({
        type: 'FieldValueInvalid',
        field,
        value: key,
        detail:
          "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      });
    }
  }
  return errors;
}
