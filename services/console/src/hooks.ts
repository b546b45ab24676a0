import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/** How often a visible page asks the hub again; a hidden tab does not ask at all. */
export const refreshIntervalMs = 10_000;

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  updatedAt: number | undefined;
  reload: () => void;
}

/** Loads on mount and when `key` changes, then again every refreshIntervalMs while the tab is visible. */
export function usePolled<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [state, setState] = useState<Omit<Loaded<T>, 'reload'>>({
    data: undefined,
    error: undefined,
    loading: true,
    updatedAt: undefined,
  });
  const loader = useRef(load);
  loader.current = load;
  const generation = useRef(0);
  const reload = useCallback(() => {
    const mine = ++generation.current;
    loader.current().then(
      (data) =>
        mine === generation.current && setState({ data, error: undefined, loading: false, updatedAt: Date.now() }),
      (error: Error) => mine === generation.current && setState((s) => ({ ...s, error, loading: false })),
    );
  }, []);
  useEffect(() => {
    setState((s) => ({ ...s, loading: true, data: undefined }));
    reload();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, refreshIntervalMs);
    return () => clearInterval(timer);
  }, [key, reload]);
  return { ...state, reload };
}

/** The route is the hash (`#/apps/web?x=y`): the hub serves one file, and a reload keeps the page. */
export interface Route {
  path: string[];
  params: URLSearchParams;
}

function currentRoute(): Route {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path = '/', search = ''] = hash.split('?');
  return { path: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(search) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const onChange = () => setRoute(currentRoute());
    addEventListener('hashchange', onChange);
    return () => removeEventListener('hashchange', onChange);
  }, []);
  return route;
}

export function navigate(path: string, params?: Record<string, string | undefined>): void {
  const entries = Object.entries(params ?? {}).filter((e): e is [string, string] => !!e[1]);
  location.hash = `#${path}${entries.length ? `?${new URLSearchParams(entries).toString()}` : ''}`;
}
