import type {
  ApiRole,
  ApplicationStatus,
  ApplicationView,
  Cluster,
  DriftNow,
  ErrorBody,
  HistoryPage,
  SyncAccepted,
} from '@flotilla/api';

/**
 * The console's only way to the hub: its REST API under /api/v1, with the types of
 * @flotilla/api (types only: nothing of the hub's code or zod reaches the browser bundle).
 */
const tokenKey = 'flotilla.token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Partial<ErrorBody> | undefined,
  ) {
    super(body?.message ?? `HTTP ${status}`);
  }
}

export const session = {
  get token(): string | null {
    return sessionStorage.getItem(tokenKey);
  },
  set(token: string): void {
    sessionStorage.setItem(tokenKey, token);
  },
  clear(): void {
    sessionStorage.removeItem(tokenKey);
  },
};

async function request<T>(method: string, path: string, body?: unknown, token = session.token): Promise<T> {
  const response = await fetch(`api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token ?? ''}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  const parsed = text ? (JSON.parse(text) as unknown) : undefined;
  if (!response.ok) throw new ApiError(response.status, parsed as Partial<ErrorBody> | undefined);
  return parsed as T;
}

const query = (params: Record<string, string | undefined>): string => {
  const entries = Object.entries(params).filter((e): e is [string, string] => !!e[1]);
  return entries.length ? `?${new URLSearchParams(entries).toString()}` : '';
};

/**
 * The hub has no "who am I" route, and the console must not add one; the role shows in how a
 * write the hub would refuse anyway is answered. The guard runs before validation, so an empty
 * cluster group (invalid: it needs a name and a selector) answers 403 to a viewer and 400 to an
 * operator, and changes nothing either way. Likewise listing API tokens tells an admin.
 */
export async function signIn(token: string): Promise<ApiRole> {
  await request('GET', '/clusters', undefined, token); // 401 for a bad token
  const refused = async (method: string, path: string, body?: unknown) => {
    try {
      await request(method, path, body, token);
      return false;
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) return true;
      if (err instanceof ApiError && err.status === 400) return false;
      throw err;
    }
  };
  if (await refused('POST', '/cluster-groups', {})) return 'viewer';
  if (await refused('GET', '/api-tokens')) return 'operator';
  return 'admin';
}

export const api = {
  clusters: (selector?: string) => request<{ items: Cluster[] }>('GET', `/clusters${query({ selector })}`),
  applications: () => request<{ items: ApplicationView[] }>('GET', '/applications'),
  application: (name: string) => request<ApplicationView>('GET', `/applications/${encodeURIComponent(name)}`),
  applicationStatus: (name: string) =>
    request<ApplicationStatus>('GET', `/applications/${encodeURIComponent(name)}/status`),
  drift: (params: { application?: string; cluster?: string } = {}) =>
    request<DriftNow>('GET', `/drift${query(params)}`),
  history: (params: Record<string, string | undefined>) => request<HistoryPage>('GET', `/history${query(params)}`),
  pin: (name: string, commit: string) =>
    request<ApplicationView>('POST', `/applications/${encodeURIComponent(name)}/pin`, { commit }),
  unpin: (name: string) => request<ApplicationView>('POST', `/applications/${encodeURIComponent(name)}/unpin`),
  sync: (name: string, clusterId?: string) =>
    request<SyncAccepted>('POST', `/applications/${encodeURIComponent(name)}/sync`, clusterId ? { clusterId } : {}),
};
