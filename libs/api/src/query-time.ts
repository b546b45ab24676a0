import { z } from 'zod';

/**
 * Times in query strings: RFC 3339 with an offset or `Z` (`2026-11-24T09:00:00Z`). Relative
 * times (`2h`) are the CLI's business: the API takes absolute instants only, so a URL means
 * the same thing whenever it is replayed.
 */
export const queryTimeSchema = z
  .string()
  .refine((text) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(text), {
    message: 'expected an RFC 3339 time such as 2026-11-24T09:00:00Z',
  })
  .transform((text) => new Date(text))
  .refine((date) => !Number.isNaN(date.getTime()), { message: 'not a valid time' });

/** A comma-separated list in one query parameter (`type=SyncFailed,DriftDetected`). */
export const commaListSchema = z
  .string()
  .transform((text) =>
    text
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0),
  )
  .refine((list) => list.length > 0, { message: 'expected at least one value' });
