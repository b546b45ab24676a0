import {
  HubApiError,
  HubRedirectError,
  HubTimeoutError,
  HubUnreachableError,
  UnexpectedResponseError,
  type HubErrorBody,
} from '../errors';

/**
 * The hub's REST API over Node's fetch: JSON in and out, a bearer token, one timeout per
 * request. Every failure becomes a named error that error-message.ts turns into advice.
 */
export type FetchFn = (input: string, init: RequestInit) => Promise<Response>;

export interface HubClientOptions {
  hubUrl: string;
  token: string;
  requestTimeoutMs: number;
  fetch?: FetchFn;
  userAgent?: string;
}

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | undefined>;
  /** Names what a 404 means (`cluster group "web"`). */
  subject?: string;
}

export class HubClient {
  private readonly fetchFn: FetchFn;

  constructor(private readonly options: HubClientOptions) {
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  }

  get hubUrl(): string {
    return this.options.hubUrl;
  }

  get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, options);
  }
  post<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, body });
  }
  put<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('PUT', path, { ...options, body });
  }
  patch<T>(path: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('PATCH', path, { ...options, body });
  }
  delete<T = void>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('DELETE', path, options);
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) query.set(key, value);
    const url = `${this.options.hubUrl}${path}${query.size > 0 ? `?${query}` : ''}`;
    let response: Response;
    try {
      response = await this.fetchFn(url, {
        method,
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${this.options.token}`,
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(this.options.userAgent ? { 'user-agent': this.options.userAgent } : {}),
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.options.requestTimeoutMs),
        // A redirect would resend the token to wherever it points: the user picks the URL instead.
        redirect: 'manual',
      });
    } catch (err) {
      throw this.transportError(err);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (err) {
      throw this.transportError(err);
    }
    if (response.status >= 300 && response.status < 400) {
      throw new HubRedirectError(this.options.hubUrl, response.headers.get('location') ?? '(no location)');
    }
    const parsed = parseJson(text);
    if (!response.ok) {
      const body = isErrorBody(parsed) ? parsed : undefined;
      // A 4xx/5xx that is not the hub's JSON is a proxy or another service on that URL.
      if (!body && text.length > 0) throw new UnexpectedResponseError(this.options.hubUrl, response.status);
      throw new HubApiError(response.status, body, { method, url, subject: options.subject });
    }
    if (text.length === 0) return undefined as T;
    if (parsed === invalidJson) throw new UnexpectedResponseError(this.options.hubUrl, response.status);
    return parsed as T;
  }

  private transportError(err: unknown): Error {
    const name = (err as { name?: string }).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return new HubTimeoutError(this.options.hubUrl, this.options.requestTimeoutMs, { cause: err });
    }
    return new HubUnreachableError(this.options.hubUrl, networkReason(err), { cause: err });
  }
}

const invalidJson = Symbol('invalid JSON');

function parseJson(text: string): unknown {
  if (text.length === 0) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return invalidJson;
  }
}

function isErrorBody(value: unknown): value is HubErrorBody {
  return typeof value === 'object' && value !== null && typeof (value as HubErrorBody).message === 'string';
}

/** undici hides the reason in `cause` (sometimes an AggregateError of one per address). */
export function networkReason(err: unknown): string {
  let current: unknown = err;
  let message = (err as Error)?.message ?? String(err);
  for (let depth = 0; depth < 5 && current; depth++) {
    const e = current as { code?: unknown; errors?: unknown[]; cause?: unknown; message?: unknown };
    if (typeof e.code === 'string' && e.code !== 'UND_ERR_SOCKET') return describeCode(e.code);
    // The innermost message is the specific one ("bad port"), the outer one is "fetch failed".
    if (typeof e.message === 'string' && e.message.length > 0) message = e.message;
    if (Array.isArray(e.errors) && e.errors.length > 0) {
      current = e.errors[0];
      continue;
    }
    current = e.cause;
  }
  return message;
}

function describeCode(code: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
      return 'unknown host';
    case 'EAI_AGAIN':
      return 'DNS lookup failed';
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    default:
      return code;
  }
}
