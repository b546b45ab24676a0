import { ValidationError } from '../errors';

/**
 * Where a source's commits come from: a git URL, a branch and references to secrets. The
 * rules here keep secrets out of the event log (no userinfo password in a URL: credentials
 * travel by reference) and keep every value safe to hand to git as an argument.
 */
export type SourceUrlScheme = 'https' | 'ssh' | 'file';

const urlMaxLength = 2048;
const branchMaxLength = 255;
const secretRefMaxLength = 128;

/** scp-like ssh (`git@github.com:org/repo.git`): a user, a host, a path that does not start with `//`. */
const scpLikePattern = /^[A-Za-z0-9][A-Za-z0-9._-]*@[A-Za-z0-9][A-Za-z0-9.-]*:(?!\/\/)[^\s\\]+$/;
/** A secret reference names one file in the hub's credentials directory: no separators, no dot-dot. */
/** Whitespace or a control character: never valid in a URL or branch we hand to git. */
const hasControlOrSpace = (value: string) =>
  [...value].some((ch) => ch.charCodeAt(0) <= 0x20 || ch.charCodeAt(0) === 0x7f);

const secretRefPattern = /^[a-z0-9]([a-z0-9._-]*[a-z0-9])?$/;

export function validateSourceUrl(value: unknown, field = 'url'): { url: string; scheme: SourceUrlScheme } {
  if (typeof value !== 'string' || value.length === 0) throw new ValidationError(`${field} is required`, field);
  if (value.length > urlMaxLength)
    throw new ValidationError(`${field} must be at most ${urlMaxLength} characters`, field);
  if (hasControlOrSpace(value))
    throw new ValidationError(`${field} must not contain whitespace or control characters`, field);
  if (scpLikePattern.test(value)) return { url: value, scheme: 'ssh' };
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch (err) {
    throw new ValidationError(`${field} must be an https://, ssh:// or file:// URL (or user@host:path)`, field, {
      cause: err,
    });
  }
  const scheme = parsed.protocol.slice(0, -1);
  if (scheme !== 'https' && scheme !== 'ssh' && scheme !== 'file')
    throw new ValidationError(`${field} must use https, ssh or file (got ${scheme})`, field);
  if (parsed.password) throw new ValidationError(`${field} must not embed a password: use credentialsRef`, field);
  if (scheme === 'https' && parsed.username)
    throw new ValidationError(`${field} must not embed a user name or token: use credentialsRef`, field);
  if (parsed.search || parsed.hash) throw new ValidationError(`${field} must not have a query or fragment`, field);
  if (scheme === 'file' && parsed.host)
    throw new ValidationError(`${field}: a file URL names a local path (file:///path)`, field);
  if (scheme !== 'file' && !parsed.hostname) throw new ValidationError(`${field} must name a host`, field);
  if (parsed.pathname === '/' || parsed.pathname === '')
    throw new ValidationError(`${field} must name a repository path`, field);
  return { url: value, scheme };
}

/** What `git check-ref-format --branch` accepts, minus what would be ambiguous as an argument. */
export function validateBranch(value: unknown, field = 'branch'): string {
  if (typeof value !== 'string' || value.length === 0) throw new ValidationError(`${field} is required`, field);
  const bad =
    value.length > branchMaxLength ||
    value.startsWith('-') ||
    value.startsWith('/') ||
    value.endsWith('/') ||
    value.endsWith('.') ||
    value.endsWith('.lock') ||
    value.includes('..') ||
    value.includes('//') ||
    value.includes('@{') ||
    value === '@' ||
    hasControlOrSpace(value) ||
    /[~^:?*[\\]/.test(value) ||
    value.split('/').some((part) => part.startsWith('.'));
  if (bad) throw new ValidationError(`${field} is not a valid git branch name`, field);
  return value;
}

export function validateSecretRef(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new ValidationError(`${field} must not be empty`, field);
  if (value.length > secretRefMaxLength || !secretRefPattern.test(value))
    throw new ValidationError(
      `${field} must be a file name in the hub's credentials directory: lowercase alphanumerics, ".", "_", "-"`,
      field,
    );
  return value;
}

export function sourceUrlScheme(url: string): SourceUrlScheme {
  return validateSourceUrl(url).scheme;
}
