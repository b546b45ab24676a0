import { ValidationError } from '@flotilla/domain';
import type { z } from 'zod';

/** Parses request input; the ValidationError names the first bad field (`labels.env`, `ttlSeconds`). */
export function parseInput<TSchema extends z.ZodType>(
  schema: TSchema,
  input: unknown,
  root?: string,
): z.infer<TSchema> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = [...(root ? [root] : []), ...issue.path.map(String)];
  const field = path.length > 0 ? path.join('.') : undefined;
  throw new ValidationError(field ? `${field}: ${issue.message}` : issue.message, field);
}
