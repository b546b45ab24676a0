import { RefusedError, UsageError } from '../errors';

/**
 * kubectl's label syntax: `key=value` sets, `key-` removes. The hub replaces a cluster's
 * labels as a whole, so the CLI reads the current set, applies the changes, and sends the
 * result.
 */
export type Labels = Record<string, string>;

export interface LabelChanges {
  set: Labels;
  remove: string[];
}

export function parseLabelChanges(args: readonly string[]): LabelChanges {
  const set: Labels = {};
  const remove: string[] = [];
  for (const arg of args) {
    const eq = arg.indexOf('=');
    if (eq >= 0) {
      const key = arg.slice(0, eq);
      if (key.length === 0) throw new UsageError(`"${arg}": the label key is empty (use key=value or key-)`);
      if (key in set && set[key] !== arg.slice(eq + 1)) {
        throw new UsageError(`label "${key}" is given twice with different values`);
      }
      set[key] = arg.slice(eq + 1);
    } else if (arg.endsWith('-') && arg.length > 1) {
      remove.push(arg.slice(0, -1));
    } else {
      throw new UsageError(`"${arg}" is not a label change: use key=value to set, key- to remove`);
    }
  }
  const both = remove.find((key) => key in set);
  if (both !== undefined) throw new UsageError(`label "${both}" is both set and removed`);
  if (Object.keys(set).length === 0 && remove.length === 0) {
    throw new UsageError('give at least one label change: key=value to set, key- to remove');
  }
  return { set, remove };
}

/**
 * The labels after the changes. As kubectl does, changing an existing value needs
 * `overwrite`, so a typo cannot silently move a cluster out of a group; removing an absent
 * key is not an error (the result is what was asked).
 */
export function applyLabelChanges(
  current: Labels,
  changes: LabelChanges,
  options: { overwrite: boolean; subject: string },
): Labels {
  const next: Labels = { ...current };
  for (const [key, value] of Object.entries(changes.set)) {
    if (!options.overwrite && key in current && current[key] !== value) {
      throw new RefusedError(
        `${options.subject} already has ${key}=${current[key]}: add --overwrite to change it to ${key}=${value}`,
      );
    }
    next[key] = value;
  }
  for (const key of changes.remove) delete next[key];
  return next;
}

/** `--label k=v` (repeatable) into labels; every entry must be key=value. */
export function parseKeyValues(entries: readonly string[], flag: string): Labels {
  const labels: Labels = {};
  for (const entry of entries) {
    const eq = entry.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} "${entry}": expected key=value`);
    const key = entry.slice(0, eq);
    if (key in labels && labels[key] !== entry.slice(eq + 1)) {
      throw new UsageError(`${flag}: label "${key}" is given twice with different values`);
    }
    labels[key] = entry.slice(eq + 1);
  }
  return labels;
}

export function formatLabels(labels: Labels): string {
  const entries = Object.entries(labels).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? '<none>' : entries.map(([k, v]) => `${k}=${v}`).join(',');
}
