import type { ComponentChildren } from 'preact';
import { ApiError, session } from '../api';
import type { Loaded } from '../hooks';
import { ago } from '../model';

export function PageHeader(props: { title: string; subtitle?: ComponentChildren; children?: ComponentChildren }) {
  return (
    <div class="page-header">
      <div>
        <h1>{props.title}</h1>
        {props.subtitle && <p class="muted">{props.subtitle}</p>}
      </div>
      <div class="actions">{props.children}</div>
    </div>
  );
}

export function Freshness({ loaded }: { loaded: Loaded<unknown> }) {
  return (
    <span class="freshness muted" aria-live="polite">
      {loaded.error ? (
        <span class="error">Cannot reach the hub: {loaded.error.message}</span>
      ) : loaded.updatedAt ? (
        <>
          <span class="live-dot" aria-hidden="true" /> updated {ago(new Date(loaded.updatedAt).toISOString())}
        </>
      ) : (
        'loading…'
      )}
      <button class="ghost small" onClick={loaded.reload} aria-label="Refresh now">
        ↻
      </button>
    </span>
  );
}

/** The body of a page once loaded; a 401 signs out (the token was revoked). */
export function Body<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (loaded.error instanceof ApiError && loaded.error.status === 401) {
    session.clear();
    location.reload();
  }
  if (loaded.data === undefined) {
    return loaded.error ? (
      <div class="card empty error" role="alert">
        {loaded.error.message}
      </div>
    ) : (
      <div class="card empty muted">Loading…</div>
    );
  }
  return <>{children(loaded.data)}</>;
}

export function Pill({ kind, children, title }: { kind: string; children: ComponentChildren; title?: string }) {
  return (
    <span class={`pill pill-${kind}`} title={title}>
      {children}
    </span>
  );
}

export function Stat(props: { label: string; value: number; kind: string; testid: string }) {
  return (
    <div class={`stat stat-${props.kind}`} data-testid={props.testid}>
      <span class="stat-value">{props.value}</span>
      <span class="stat-label">{props.label}</span>
    </div>
  );
}

export const formatTime = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }) : '—';
