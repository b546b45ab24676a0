import type { DriftItem } from '@flotilla/api';
import { api } from '../api';
import { usePolled } from '../hooks';
import { ago } from '../model';
import { Body, Freshness, PageHeader, Pill, Stat, formatTime } from './common';

const show = (value: unknown): string =>
  value === undefined ? '(absent)' : typeof value === 'string' ? value : JSON.stringify(value);

export function DriftTable({ items, showApplication = true }: { items: DriftItem[]; showApplication?: boolean }) {
  return (
    <div class="card table-wrap">
      <table data-testid="drift-table">
        <caption class="sr-only">Drifted resources: desired and live values side by side</caption>
        <thead>
          <tr>
            <th scope="col">Cluster</th>
            {showApplication && <th scope="col">Application</th>}
            <th scope="col">Resource</th>
            <th scope="col">Field</th>
            <th scope="col">Desired (git)</th>
            <th scope="col">Live</th>
            <th scope="col">Since</th>
          </tr>
        </thead>
        <tbody>
          {items.flatMap((d) => {
            const fields = d.fields.length ? d.fields : [{ path: d.reason === 'missing' ? '(whole object)' : '—' }];
            return fields.map((f, i) => (
              <tr key={`${d.episodeId}-${i}`} data-testid="drift-row" data-field={f.path}>
                {i === 0 ? (
                  <>
                    <th scope="row" rowSpan={fields.length}>
                      {d.clusterName ?? d.clusterId}
                    </th>
                    {showApplication && (
                      <td rowSpan={fields.length}>
                        <a href={`#/apps/${encodeURIComponent(d.application)}`}>{d.application}</a>
                      </td>
                    )}
                    <td rowSpan={fields.length}>
                      <span class="kind">{d.resource.kind}</span>{' '}
                      <span class="mono">
                        {d.resource.namespace ? `${d.resource.namespace}/` : ''}
                        {d.resource.name}
                      </span>
                      <div>
                        <Pill kind={d.reason === 'missing' ? 'failed' : 'drifted'}>{d.reason}</Pill>{' '}
                        {d.mode === 'correct' && <Pill kind="syncing">correcting</Pill>}
                      </div>
                    </td>
                  </>
                ) : null}
                <td class="mono">{f.path}</td>
                <td class="mono value desired">{'desired' in f ? show(f.desired) : ''}</td>
                <td class="mono value live">{'live' in f ? show(f.live) : ''}</td>
                {i === 0 ? (
                  <td rowSpan={fields.length} title={formatTime(d.since)}>
                    {ago(d.since)}
                  </td>
                ) : null}
              </tr>
            ));
          })}
        </tbody>
      </table>
    </div>
  );
}

export function DriftPage() {
  const loaded = usePolled(() => api.drift(), 'drift');
  return (
    <section>
      <PageHeader title="Drift" subtitle="Every field that differs from git on any cluster, now.">
        <Freshness loaded={loaded} />
      </PageHeader>
      <Body loaded={loaded}>
        {(drift) => (
          <>
            <div class="stats">
              <Stat label="Drifted clusters" value={drift.summary.clusters} kind="drifted" testid="drift-clusters" />
              <Stat label="Drifted resources" value={drift.summary.resources} kind="drifted" testid="drift-resources" />
              <Stat
                label="Applications"
                value={drift.summary.applications.length}
                kind="neutral"
                testid="drift-applications"
              />
            </div>
            {drift.items.length === 0 ? (
              <div class="card empty muted">No drift: every cluster matches git.</div>
            ) : (
              <DriftTable items={drift.items} />
            )}
          </>
        )}
      </Body>
    </section>
  );
}
