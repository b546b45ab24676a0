import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';

/** How one setting is given: a command-line flag, or the environment variable behind it. */
export interface SettingName {
  flag: string;
  env: string;
  /** A flag without a value (`--in-cluster`); its variable takes `true`/`1`. */
  boolean?: boolean;
}

/**
 * Reads settings from flags, then their variables (an empty variable counts as unset), so
 * that the agent and the simulated fleet parse their command lines the same way. Throws the
 * parser's message for unknown flags; the caller wraps it in its own error class.
 */
export function readFlagsAndEnv(
  names: Record<string, SettingName>,
  argv: string[],
  env: NodeJS.ProcessEnv,
): Record<string, unknown> {
  const { values: flags } = parseArgs({
    args: argv,
    strict: true,
    options: Object.fromEntries(
      Object.values(names).map(({ flag, boolean }) => [flag.slice(2), { type: boolean ? 'boolean' : 'string' }]),
    ) as Record<string, { type: 'string' | 'boolean' }>,
  });
  const raw: Record<string, unknown> = {};
  for (const [key, { flag, env: variable, boolean }] of Object.entries(names)) {
    let value: unknown = flags[flag.slice(2)] ?? (env[variable] === '' ? undefined : env[variable]);
    if (boolean && typeof value === 'string') value = value === 'true' || value === '1';
    if (value !== undefined) raw[key] = value;
  }
  return raw;
}

/**
 * The one loader of the agent's programs (the agent and the simulated fleet): flags, then
 * variables; each setting in `files` (key -> path) replaced by the file's contents; then the
 * schema. Every failure is a `ConfigError` of the caller's program, named `invalid <what> ...`.
 */
export function loadFlagsAndEnv<S extends z.ZodType>(options: {
  what: string;
  schema: S;
  names: Record<string, SettingName>;
  argv: string[];
  env: NodeJS.ProcessEnv;
  ConfigError: new (message: string, options?: { cause?: unknown }) => Error;
  /** Which settings are given as a file to read, e.g. `{ bootstrapCreds: '/etc/creds' }`. */
  files?: (raw: Record<string, unknown>) => Record<string, string | undefined>;
}): z.infer<S> {
  const { what, names, ConfigError } = options;
  let raw: Record<string, unknown>;
  try {
    raw = readFlagsAndEnv(names, options.argv, options.env);
  } catch (err) {
    throw new ConfigError(`invalid ${what} arguments: ${(err as Error).message}`, { cause: err });
  }
  for (const [key, file] of Object.entries(options.files?.(raw) ?? {})) {
    if (!file) continue;
    try {
      raw[key] = readFileSync(file, 'utf8');
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
      throw new ConfigError(
        `invalid ${what} configuration: ${names[key]?.flag ?? key}: cannot read ${file}: ${reason}`,
        {
          cause: err,
        },
      );
    }
  }
  const result = options.schema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(`invalid ${what} configuration: ${describeIssues(result.error.issues, names, raw)}`);
  }
  return result.data;
}

/** Each problem named by its flag and variable (never its value: some settings are secrets). */
export function describeIssues(
  issues: z.core.$ZodIssue[],
  names: Record<string, SettingName>,
  raw: Record<string, unknown>,
): string {
  return issues
    .map((issue) => {
      const key = String(issue.path[0] ?? '');
      const n = names[key];
      // A missing value reads better as "required" than as zod's type complaint.
      const missing = issue.code === 'invalid_type' && !(key in raw);
      return `${n ? `${n.flag} (${n.env})` : key}: ${missing ? 'required' : issue.message}`;
    })
    .join('; ');
}

/** A comma-separated setting (`a, b,c`) as a list of its non-empty items, each checked by `item`. */
export function commaList(item: z.ZodString, fallback: string) {
  return z
    .string()
    .default(fallback)
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(item).min(1));
}

/** NATS server URLs, comma-separated, as the agent and the fleet take them. */
export const natsUrls = () =>
  commaList(z.string().regex(/^(nats|tls):\/\//, 'must be nats:// or tls:// URLs'), 'nats://127.0.0.1:4222');
