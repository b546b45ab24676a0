// Validation and (for the in-memory adapter) evaluation of readAll filters, so both adapters
// accept and refuse the same options.

import type { ReadAllOptions } from '../event-store.port';
import { InvalidEventError } from '../errors';

/** Page size of readAll when the caller gives none. */
export const defaultReadAllLimit = 1_000;
/** Largest page readAll serves: bigger pages belong to a loop, not one query. */
export const maxReadAllLimit = 10_000;

export function validateReadAllOptions(options: ReadAllOptions): void {
  const { limit, after, before } = options;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > maxReadAllLimit)) {
    throw new InvalidEventError(`limit ${limit} is invalid (1 to ${maxReadAllLimit})`);
  }
  for (const [name, value] of [
    ['after', after],
    ['before', before],
  ] as const) {
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
      throw new InvalidEventError(`${name} ${value} is not a position`);
    }
  }
  if (options.direction !== undefined && options.direction !== 'forward' && options.direction !== 'backward') {
    throw new InvalidEventError(`direction ${String(options.direction)} is invalid`);
  }
  for (const [name, value] of [
    ['from', options.from],
    ['to', options.to],
  ] as const) {
    if (value !== undefined && (!(value instanceof Date) || Number.isNaN(value.getTime()))) {
      throw new InvalidEventError(`${name} is not a valid Date`);
    }
  }
}

export function matchesReadAllFilter(
  event: { position: number; streamId: string; type: string; recordedAt: Date },
  options: ReadAllOptions,
): boolean {
  if (options.after !== undefined && event.position <= options.after) return false;
  if (options.before !== undefined && event.position >= options.before) return false;
  if (options.streamPrefix !== undefined && !event.streamId.startsWith(options.streamPrefix)) return false;
  if (options.types !== undefined && !options.types.includes(event.type)) return false;
  if (options.from !== undefined && event.recordedAt < options.from) return false;
  if (options.to !== undefined && event.recordedAt >= options.to) return false;
  return true;
}
