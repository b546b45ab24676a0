import { readFileSync } from 'node:fs';
import type { z } from 'zod';

/** A setting of the hub (any capability's) that is missing, malformed or unreadable: the hub does not start. */
export class HubConfigError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HubConfigError';
  }
}

/**
 * The one way the hub reads its settings: the variables the schema declares (an empty one
 * counts as unset), validated at start-up. Each capability owns its schema and calls this.
 * A variable listed in `fileVariables` may instead be given as `<VAR>_FILE`, naming a file
 * that holds its value (a mounted secret). The error names each bad variable and never its
 * value (it may be a secret); `what` says which settings, e.g. "git sources".
 */
export function loadSettings<S extends z.ZodObject>(
  schema: S,
  what: string,
  env: NodeJS.ProcessEnv,
  fileVariables: readonly string[] = [],
): z.infer<S> {
  const picked: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  for (const key of fileVariables) {
    const file = env[`${key}_FILE`];
    if (picked[key] !== undefined || !file) continue;
    try {
      picked[key] = readFileSync(file, 'utf8');
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new HubConfigError(`invalid ${what} configuration: ${key}_FILE: cannot read ${file}: ${reason}`, {
        cause: err,
      });
    }
  }
  const result = schema.safeParse(picked);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    // No cause: zod's error would carry the values, and a value may be a secret.
    throw new HubConfigError(`invalid ${what} configuration: ${problems.join('; ')}`);
  }
  return result.data;
}
