import { z } from 'zod';

/** Shapes every capability's requests and responses share. */

/** RFC 3339 instants, as the hub writes them (`toISOString()`). */
export const timestampSchema = z.iso.datetime({ offset: true }).describe('RFC 3339 time');
export const nullableTimestampSchema = timestampSchema.nullable();

/** The body of every error answer (services/hub/src/errors/http-error.filter.ts writes it). */
export const errorBodySchema = z.object({
  statusCode: z.number().int(),
  error: z
    .string()
    .describe('Category: validation, unauthorized, forbidden, not-found, conflict, unavailable, internal'),
  code: z.string().describe('Stable machine-readable reason, e.g. cluster-not-found, concurrent-change'),
  message: z.string(),
  field: z.string().optional().describe('The offending input, for validation errors'),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** `{ items: [...] }`: every list answer, so a field (a cursor, a summary) can be added beside it later. */
export const itemsOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) });
export interface ItemList<T> {
  items: T[];
}
