import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { durations } from '../durations';
import { ConfigFileError, NotLoggedInError, UsageError } from '../errors';

/**
 * Where the CLI finds its hub and token: flags (--hub, --token) over the environment
 * (FLOTILLA_HUB_URL, FLOTILLA_TOKEN) over the config file written by `flotilla login`
 * ($FLOTILLA_CONFIG, else $XDG_CONFIG_HOME/flotilla/config.yaml, else
 * ~/.config/flotilla/config.yaml). The file holds a token, so it is written 0600 in a
 * 0700 directory, atomically (a crash never leaves half a file).
 */
export interface ConfigFile {
  hub?: string;
  token?: string;
  /** Keys this version does not know are kept on rewrite, so an older CLI does not erase a newer one's settings. */
  [other: string]: unknown;
}

export interface Connection {
  hubUrl: string;
  token: string;
  requestTimeoutMs: number;
}

export function configFilePath(env: NodeJS.ProcessEnv): string {
  if (env.FLOTILLA_CONFIG) return path.resolve(env.FLOTILLA_CONFIG);
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : undefined;
  const base = xdg ?? path.join(env.HOME || homedir(), '.config');
  return path.join(base, 'flotilla', 'config.yaml');
}

/** The file's settings; an absent file is an empty config, anything unreadable is an error naming the file. */
export function readConfigFile(file: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new ConfigFileError(
      file,
      `cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      {
        cause: err,
      },
    );
  }
  let data: unknown;
  try {
    data = parse(text);
  } catch (err) {
    throw new ConfigFileError(file, `not valid YAML: fix or delete it, then run \`flotilla login\``, { cause: err });
  }
  if (data == null) return {};
  if (typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigFileError(
      file,
      'expected a mapping with hub and token: fix or delete it, then run `flotilla login`',
    );
  }
  const config = data as ConfigFile;
  for (const key of ['hub', 'token'] as const) {
    if (config[key] !== undefined && typeof config[key] !== 'string') {
      throw new ConfigFileError(file, `"${key}" must be a string`);
    }
  }
  return config;
}

/** True when group or others may read the file: the caller warns, as ssh does for keys. */
export function isReadableByOthers(file: string): boolean {
  try {
    return (statSync(file).mode & 0o077) !== 0;
  } catch {
    return false;
  }
}

export function writeConfigFile(file: string, config: ConfigFile): void {
  const dir = path.dirname(file);
  const temp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(temp, stringify(config), { mode: 0o600, flag: 'w' });
    // The mode given to writeFileSync is filtered by the umask and ignored for an existing file.
    chmodSync(temp, 0o600);
    renameSync(temp, file);
  } catch (err) {
    rmSync(temp, { force: true });
    throw new ConfigFileError(
      file,
      `cannot write it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      {
        cause: err,
      },
    );
  }
}

/** `http(s)://host[:port][/prefix]` without a trailing slash; anything else is a usage error naming the source. */
export function normalizeHubUrl(raw: string, source: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${source} "${raw}" is not a URL: expected http(s)://host[:port]`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${source} "${raw}": the hub speaks http or https, not ${url.protocol.replace(':', '')}`);
  }
  if (url.username || url.password) {
    throw new UsageError(`${source}: put the token in --token or FLOTILLA_TOKEN, not in the URL`);
  }
  if (url.search || url.hash) throw new UsageError(`${source} "${raw}": a hub URL has no query or fragment`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

export interface ConnectionFlags {
  hub?: string;
  token?: string;
}

export function requestTimeoutMs(env: NodeJS.ProcessEnv): number {
  const raw = env.FLOTILLA_REQUEST_TIMEOUT_MS;
  if (raw === undefined || raw === '') return durations.requestTimeoutDefaultMs;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new UsageError(`FLOTILLA_REQUEST_TIMEOUT_MS "${raw}": expected a positive whole number of milliseconds`);
  }
  return value;
}

/** The hub URL alone (login needs it before there is a token). */
export function resolveHubUrl(flags: ConnectionFlags, env: NodeJS.ProcessEnv, file: ConfigFile): string | undefined {
  if (flags.hub) return normalizeHubUrl(flags.hub, '--hub');
  if (env.FLOTILLA_HUB_URL) return normalizeHubUrl(env.FLOTILLA_HUB_URL, 'FLOTILLA_HUB_URL');
  if (file.hub) return normalizeHubUrl(file.hub, 'the config file\'s "hub"');
  return undefined;
}

export function resolveConnection(flags: ConnectionFlags, env: NodeJS.ProcessEnv, file: ConfigFile): Connection {
  const hubUrl = resolveHubUrl(flags, env, file);
  if (!hubUrl) throw new NotLoggedInError('hub');
  const token = flags.token || env.FLOTILLA_TOKEN || file.token;
  if (!token) throw new NotLoggedInError('token');
  return { hubUrl, token, requestTimeoutMs: requestTimeoutMs(env) };
}
