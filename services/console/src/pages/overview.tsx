import { useState } from 'preact/hooks';
import { api } from '../api';
import { navigate, usePolled } from '../hooks';
import { ago, buildMatrix, cellLabels, cellStates, short, type CellState } from '../model';
import { Body, Freshness, PageHeader, Pill, Stat } from './common';

const cellText: Record<CellState, string> = { ...cellLabels, waiting: 'Waiting' };

async function loadFleet(selector: string | undefined) {
  const [clusters, applications] = await Promise.all([api.clusters(selector), api.applications()]);
  const statuses = await Promise.all(applications.items.map((a) => api.applicationStatus(a.name)));
  return buildMatrix(clusters.items, statuses);
}

export function OverviewPage({ params }: { params: URLSearchParams }) {
  const selector = params.get('selector') ?? undefined;
  const [draft, setDraft] = useState(selector ?? '');
  const loaded = usePolled(() => loadFleet(selector), selector ?? '');
  return (
    <section aria-labelledby="page-title">
      <PageHeader title="Fleet" subtitle="Every application on every cluster, from the hub's log.">
        <Freshness loaded={loaded} />
      </PageHeader>
      <form
        class="filter-bar card"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate('/', { selector: draft.trim() || undefined });
        }}
      >
        <label for="selector">Label selector</label>
        <input
          id="selector"
          name="selector"
          placeholder="env=prod,region in (eu,us),!legacy"
          value={draft}
          onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
        />
        <button type="submit" class="primary">
          Filter
        </button>
        {selector && (
          <button
            type="button"
            class="ghost"
            onClick={() => {
              setDraft('');
              navigate('/');
            }}
          >
            Clear
          </button>
        )}
      </form>
      <Body loaded={loaded}>
        {(m) => (
          <>
            <div class="stats" aria-label="Clusters by connection">
              <Stat label="Clusters" value={m.clusters.length} kind="neutral" testid="count-clusters" />
              <Stat label="Connected" value={m.connection.connected} kind="synced" testid="count-connected" />
              <Stat label="Offline" value={m.connection.disconnected} kind="offline" testid="count-offline" />
              <Stat label="No heartbeat yet" value={m.connection.pending} kind="waiting" testid="count-pending" />
              <Stat label="Applications" value={m.applications.length} kind="neutral" testid="count-applications" />
            </div>
            <div class="legend" aria-label="Application placements by state">
              {cellStates.map((s) => (
                <span key={s} class="legend-item" data-testid={`cells-${s}`} data-count={m.counts[s]}>
                  <Pill kind={s}>{cellText[s]}</Pill> <strong>{m.counts[s]}</strong>
                </span>
              ))}
            </div>
            {m.clusters.length === 0 ? (
              <div class="card empty muted">
                {selector ? `No cluster matches ${selector}.` : 'No cluster has registered yet.'}
              </div>
            ) : (
              <div class="card table-wrap">
                <table class="matrix" data-testid="matrix">
                  <caption class="sr-only">Clusters (rows) by applications (columns)</caption>
                  <thead>
                    <tr>
                      <th scope="col">Cluster</th>
                      <th scope="col">Connection</th>
                      {m.applications.map((a) => (
                        <th scope="col" key={a}>
                          <a href={`#/apps/${encodeURIComponent(a)}`}>{a}</a>
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {m.clusters.map((c) => (
                      <tr key={c.id} data-testid="cluster-row" data-cluster={c.name} data-state={c.state}>
                        <th scope="row">
                          <div class="cluster-name">{c.name}</div>
                          <div class="labels">
                            {Object.entries(c.labels).map(([k, v]) => (
                              <span class="label" key={k}>
                                {k}={v}
                              </span>
                            ))}
                          </div>
                        </th>
                        <td>
                          <Pill
                            kind={c.state === 'connected' ? 'synced' : c.state === 'pending' ? 'waiting' : 'offline'}
                            title={`last heartbeat ${ago(c.lastSeenAt)}`}
                          >
                            {c.state === 'connected' ? 'Connected' : c.state === 'pending' ? 'Waiting' : 'Offline'}
                          </Pill>
                          <div class="muted small">seen {ago(c.lastSeenAt)}</div>
                        </td>
                        {m.applications.map((a) => {
                          const cell = m.cells.get(`${c.id}/${a}`);
                          if (!cell) {
                            return (
                              <td key={a} class="cell-none" aria-label="not targeted">
                                <span class="muted">·</span>
                              </td>
                            );
                          }
                          return (
                            <td key={a} data-testid="cell" data-state={cell.state}>
                              <a
                                class="cell-link"
                                href={`#/apps/${encodeURIComponent(a)}`}
                                title={`${a} on ${c.name}: ${cellLabels[cell.state]}, health ${cell.status.health}`}
                              >
                                <Pill kind={cell.state}>{cellText[cell.state]}</Pill>
                                <span class="mono small muted">{short(cell.status.appliedCommit)}</span>
                              </a>
                            </td>
                          );
                        })}
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </>
        )}
      </Body>
    </section>
  );
}
