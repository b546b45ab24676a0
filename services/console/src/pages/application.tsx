import { useState } from 'preact/hooks';
import type { ApiRole, ApplicationStatus, ApplicationView, DriftNow } from '@flotilla/api';
import { api } from '../api';
import { usePolled } from '../hooks';
import { ago, cellLabels, cellState, short } from '../model';
import { Body, Freshness, PageHeader, Pill, Stat, formatTime } from './common';
import { DriftTable } from './drift';

interface AppData {
  app: ApplicationView;
  status: ApplicationStatus;
  drift: DriftNow;
  states: Map<string, string>;
}

async function loadApplication(name: string): Promise<AppData> {
  const [app, status, drift, clusters] = await Promise.all([
    api.application(name),
    api.applicationStatus(name),
    api.drift({ application: name }),
    api.clusters(),
  ]);
  return { app, status, drift, states: new Map(clusters.items.map((c) => [c.id, c.state])) };
}

const healthKind: Record<string, string> = {
  healthy: 'synced',
  progressing: 'progressing',
  degraded: 'degraded',
  missing: 'degraded',
  unknown: 'waiting',
};

export function ApplicationPage({ name, role }: { name: string; role: ApiRole }) {
  const loaded = usePolled(() => loadApplication(name), name);
  const canChange = role !== 'viewer';
  const [notice, setNotice] = useState<{ kind: 'ok' | 'error'; text: string }>();
  const act = async (what: string, run: () => Promise<unknown>) => {
    setNotice(undefined);
    try {
      await run();
      setNotice({ kind: 'ok', text: what });
      loaded.reload();
    } catch (err) {
      setNotice({ kind: 'error', text: (err as Error).message });
    }
  };
  return (
    <section>
      <p class="crumbs">
        <a href="#/">Fleet</a> / <span>{name}</span>
      </p>
      <Body loaded={loaded}>
        {({ app, status, drift, states }) => (
          <>
            <PageHeader
              title={app.name}
              subtitle={
                <>
                  <span class="mono">
                    {app.spec.source}:{app.spec.path}
                  </span>{' '}
                  · updated {ago(app.updatedAt)} by {app.updatedBy}
                </>
              }
            >
              <Freshness loaded={loaded} />
            </PageHeader>
            <div class="card app-meta">
              <div>
                <span class="muted">Follows</span>{' '}
                {app.pinnedCommit ? (
                  <Pill kind="waiting" title={app.pin?.actor ? `pinned by ${app.pin.actor}` : undefined}>
                    pinned to <span class="mono">{short(app.pinnedCommit)}</span>
                  </Pill>
                ) : (
                  <Pill kind="neutral">the branch head</Pill>
                )}
                {app.pin?.actor && <span class="muted small"> by {app.pin.actor}</span>}
              </div>
              {canChange && (
                <div class="actions" data-testid="operator-actions">
                  <button onClick={() => act('Sync requested for every cluster', () => api.sync(name))}>
                    Sync all
                  </button>
                  {app.pinnedCommit ? (
                    <button onClick={() => act('Unpinned: following the branch again', () => api.unpin(name))}>
                      Unpin
                    </button>
                  ) : (
                    <PinForm
                      suggestion={status.clusters.find((c) => c.desiredCommit)?.desiredCommit ?? ''}
                      onPin={(commit) => act(`Pinned to ${short(commit)}`, () => api.pin(name, commit))}
                    />
                  )}
                </div>
              )}
            </div>
            {notice && (
              <p class={`notice notice-${notice.kind}`} role="status">
                {notice.text}
              </p>
            )}
            <div class="stats">
              <Stat label="Clusters" value={status.summary.clusters} kind="neutral" testid="app-clusters" />
              <Stat label="Synced" value={status.summary.synced} kind="synced" testid="app-synced" />
              <Stat label="Healthy" value={status.summary.healthy} kind="synced" testid="app-healthy" />
              <Stat label="Drifted" value={status.summary.drifted} kind="drifted" testid="app-drifted" />
              <Stat label="Failed" value={status.summary.failed} kind="failed" testid="app-failed" />
              <Stat label="Offline" value={status.summary.offline} kind="offline" testid="app-offline" />
            </div>
            <div class="card table-wrap">
              <table data-testid="app-clusters-table">
                <caption class="sr-only">Per cluster: desired and applied commit, sync and health</caption>
                <thead>
                  <tr>
                    <th scope="col">Cluster</th>
                    <th scope="col">State</th>
                    <th scope="col">Desired</th>
                    <th scope="col">Applied</th>
                    <th scope="col">Health</th>
                    <th scope="col">Drift</th>
                    <th scope="col">Last sync</th>
                    {canChange && <th scope="col">Actions</th>}
                  </tr>
                </thead>
                <tbody>
                  {status.clusters.map((c) => {
                    const state = cellState({ state: (states.get(c.clusterId) ?? c.state) as 'connected' }, c);
                    const behind = c.desiredCommit && c.appliedCommit !== c.desiredCommit;
                    return (
                      <tr key={c.clusterId} data-testid="app-cluster-row" data-cluster={c.clusterName}>
                        <th scope="row">{c.clusterName}</th>
                        <td>
                          <Pill kind={state}>{cellLabels[state]}</Pill>
                          {c.message && <div class="small error">{c.message}</div>}
                        </td>
                        <td class="mono">
                          {short(c.desiredCommit)} <span class="muted">r{c.desiredRevision ?? '—'}</span>
                        </td>
                        <td class={`mono ${behind ? 'behind' : ''}`}>
                          {short(c.appliedCommit)}
                          {behind && <span class="small muted"> (behind)</span>}
                        </td>
                        <td>
                          <Pill kind={healthKind[c.health] ?? 'neutral'}>{c.health}</Pill>
                        </td>
                        <td>{c.drifted ? <Pill kind="drifted">{c.driftedResources} resources</Pill> : '—'}</td>
                        <td title={formatTime(c.lastSyncAt)}>{ago(c.lastSyncAt)}</td>
                        {canChange && (
                          <td>
                            <button
                              class="small"
                              onClick={() =>
                                act(`Sync requested on ${c.clusterName}`, () => api.sync(name, c.clusterId))
                              }
                            >
                              Sync
                            </button>
                          </td>
                        )}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
            <h2>Drifted resources</h2>
            {drift.items.length === 0 ? (
              <div class="card empty muted">Every cluster matches git.</div>
            ) : (
              <DriftTable items={drift.items} showApplication={false} />
            )}
          </>
        )}
      </Body>
    </section>
  );
}

function PinForm({ suggestion, onPin }: { suggestion: string; onPin: (commit: string) => void }) {
  const [commit, setCommit] = useState(suggestion);
  return (
    <form
      class="pin-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (commit.trim()) onPin(commit.trim());
      }}
    >
      <label class="sr-only" for="pin-commit">
        Commit to pin to
      </label>
      <input
        id="pin-commit"
        class="mono"
        size={20}
        placeholder="full commit sha"
        value={commit}
        onInput={(e) => setCommit((e.target as HTMLInputElement).value)}
      />
      <button type="submit">Pin</button>
    </form>
  );
}
