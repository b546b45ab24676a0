import { render } from 'preact';
import { useState } from 'preact/hooks';
import type { ApiRole } from '@flotilla/api';
import { ApiError, session, signIn } from './api';
import { useRoute } from './hooks';
import { ApplicationPage } from './pages/application';
import { DriftPage } from './pages/drift';
import { HistoryPage } from './pages/history';
import { OverviewPage } from './pages/overview';
import './styles.css';

const roleKey = 'flotilla.role';

function SignIn({ onSignedIn }: { onSignedIn: (role: ApiRole) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const role = await signIn(token.trim());
      session.set(token.trim());
      sessionStorage.setItem(roleKey, role);
      onSignedIn(role);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'The hub does not know this token (expired, revoked or mistyped).'
          : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin">
      <form class="card signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <div class="brand brand-large">
          <Logo /> Flotilla
        </div>
        <h1 id="signin-title">Sign in to the console</h1>
        <p class="muted">
          Use an API token of the hub (<code>npm run hub -- create-admin-token</code>, or one an admin gave you). It is
          kept in this tab only.
        </p>
        <label for="token">API token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          placeholder="flt_..."
          value={token}
          onInput={(e) => setToken((e.target as HTMLInputElement).value)}
          autoFocus
          required
        />
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button class="primary" type="submit" disabled={busy || !token.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}

export function Logo() {
  return (
    <svg class="logo" viewBox="0 0 24 24" aria-hidden="true">
      <path d="M3 15h18l-3 5H6z" fill="currentColor" />
      <path d="M11 3v10H5z" fill="currentColor" opacity=".55" />
      <path d="M13 5v8h6z" fill="currentColor" opacity=".8" />
    </svg>
  );
}

function Shell({ role, onSignOut }: { role: ApiRole; onSignOut: () => void }) {
  const route = useRoute();
  const [page = 'fleet', ...rest] = route.path;
  const link = (href: string, label: string, active: boolean) => (
    <a href={href} class={active ? 'active' : ''} aria-current={active ? 'page' : undefined}>
      {label}
    </a>
  );
  return (
    <>
      <a
        class="skip"
        href="#content"
        onClick={(e) => (e.preventDefault(), document.getElementById('content')?.focus())}
      >
        Skip to content
      </a>
      <header class="topbar">
        <a class="brand" href="#/">
          <Logo /> Flotilla
        </a>
        <nav aria-label="Main">
          {link('#/', 'Fleet', page === 'fleet' || page === 'apps')}
          {link('#/drift', 'Drift', page === 'drift')}
          {link('#/history', 'History', page === 'history')}
        </nav>
        <div class="spacer" />
        <span class={`role role-${role}`} data-testid="role" title="The role of your API token">
          {role}
        </span>
        <button class="ghost" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="content" tabIndex={-1}>
        {page === 'apps' && rest[0] ? (
          <ApplicationPage name={rest[0]} role={role} />
        ) : page === 'history' ? (
          <HistoryPage params={route.params} />
        ) : page === 'drift' ? (
          <DriftPage />
        ) : (
          <OverviewPage params={route.params} />
        )}
      </main>
    </>
  );
}

function App() {
  const [role, setRole] = useState<ApiRole | null>(() =>
    session.token ? (sessionStorage.getItem(roleKey) as ApiRole | null) : null,
  );
  if (!role) return <SignIn onSignedIn={setRole} />;
  return (
    <Shell
      role={role}
      onSignOut={() => {
        session.clear();
        sessionStorage.removeItem(roleKey);
        setRole(null);
      }}
    />
  );
}

render(<App />, document.getElementById('app')!);
