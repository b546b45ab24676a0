import { useEffect, useState } from 'preact/hooks';
import type { HistoryEvent } from '@flotilla/api';
import { api } from '../api';
import { navigate, usePolled } from '../hooks';
import { short } from '../model';
import { Body, Freshness, PageHeader, formatTime } from './common';

/** The filters of GET /api/v1/history, kept in the page's address so a view can be shared. */
const filters = [
  { key: 'application', label: 'Application', placeholder: 'web' },
  { key: 'cluster', label: 'Cluster id', placeholder: 'cluster id' },
  { key: 'group', label: 'Group', placeholder: 'prod' },
  { key: 'source', label: 'Source', placeholder: 'platform' },
  { key: 'commit', label: 'Commit', placeholder: 'sha prefix' },
  { key: 'type', label: 'Event types', placeholder: 'SyncSucceeded,DriftDetected' },
  { key: 'actor', label: 'Actor', placeholder: 'token:ops' },
  { key: 'since', label: 'Since', placeholder: '2026-12-04T10:00:00Z' },
  { key: 'until', label: 'Until', placeholder: 'RFC 3339' },
] as const;

const pageSize = '50';

const kindOf = (type: string): string =>
  /Failed|Refused|Rejected|Disconnected|Rewritten/.test(type)
    ? 'failed'
    : /Drift(Detected)/.test(type)
      ? 'drifted'
      : /Succeeded|Connected|Resolved|Corrected|Registered/.test(type)
        ? 'synced'
        : 'neutral';

/** One line that says what happened, from the fields most event types carry. */
function summary(e: HistoryEvent, names: Map<string, string>): string {
  const d = e.data as Record<string, unknown>;
  const parts: string[] = [];
  const str = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : undefined);
  const clusterId = str('clusterId');
  if (clusterId && e.type !== 'ClusterRegistered') parts.push(names.get(clusterId) ?? clusterId);
  if (str('application') ?? str('name')) parts.push(str('application') ?? str('name')!);
  if (str('commit') ?? str('sha')) parts.push(`@ ${short(str('commit') ?? str('sha'))}`);
  const resource = d['resource'] as { kind?: string; name?: string } | undefined;
  if (resource?.kind) parts.push(`${resource.kind}/${resource.name}`);
  if (Array.isArray(d['fields'])) parts.push((d['fields'] as Array<{ path: string }>).map((f) => f.path).join(', '));
  if (str('status')) parts.push(str('status')!);
  if (str('message')) parts.push(str('message')!);
  if (str('reason')) parts.push(str('reason')!);
  return parts.join(' · ');
}

export function HistoryPage({ params }: { params: URLSearchParams }) {
  const query = Object.fromEntries(filters.map((f) => [f.key, params.get(f.key) ?? undefined]));
  const key = params.toString();
  const [draft, setDraft] = useState<Record<string, string>>({});
  useEffect(() => setDraft(Object.fromEntries(filters.map((f) => [f.key, params.get(f.key) ?? '']))), [key]);
  const [more, setMore] = useState<HistoryEvent[]>([]);
  const [cursor, setCursor] = useState<number | null | undefined>(undefined);
  useEffect(() => {
    setMore([]);
    setCursor(undefined);
  }, [key]);
  const loaded = usePolled(async () => {
    const [page, clusters] = await Promise.all([api.history({ ...query, limit: pageSize }), api.clusters()]);
    return { ...page, names: new Map(clusters.items.map((c) => [c.id, c.name])) };
  }, key);
  const next = cursor === undefined ? loaded.data?.nextCursor : cursor;
  const loadMore = async () => {
    if (next == null) return;
    const page = await api.history({ ...query, limit: pageSize, cursor: String(next) });
    setMore((m) => [...m, ...page.items]);
    setCursor(page.nextCursor);
  };
  return (
    <section>
      <PageHeader
        title="History"
        subtitle="The fleet's timeline: every commit, assignment, sync, drift and change, and who made it."
      >
        <Freshness loaded={loaded} />
      </PageHeader>
      <form
        class="card filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          navigate('/history', Object.fromEntries(Object.entries(draft).map(([k, v]) => [k, v.trim() || undefined])));
        }}
      >
        {filters.map((f) => (
          <div class="field" key={f.key}>
            <label for={`f-${f.key}`}>{f.label}</label>
            <input
              id={`f-${f.key}`}
              name={f.key}
              placeholder={f.placeholder}
              value={draft[f.key] ?? ''}
              onInput={(e) => setDraft((d) => ({ ...d, [f.key]: (e.target as HTMLInputElement).value }))}
            />
          </div>
        ))}
        <div class="field field-actions">
          <button type="submit" class="primary">
            Apply filters
          </button>
          {key && (
            <button type="button" class="ghost" onClick={() => navigate('/history')}>
              Clear
            </button>
          )}
        </div>
      </form>
      <Body loaded={loaded}>
        {(page) => {
          const items = [...page.items, ...more];
          return items.length === 0 ? (
            <div class="card empty muted">No event matches these filters.</div>
          ) : (
            <>
              <div class="card table-wrap">
                <table data-testid="history-table">
                  <caption class="sr-only">Events, newest first</caption>
                  <thead>
                    <tr>
                      <th scope="col">#</th>
                      <th scope="col">When</th>
                      <th scope="col">Event</th>
                      <th scope="col">What</th>
                      <th scope="col">Who</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((e) => (
                      <tr key={e.position} data-testid="history-row" data-position={e.position}>
                        <td class="mono muted">{e.position}</td>
                        <td class="nowrap" title={e.recordedAt}>
                          {formatTime(e.recordedAt)}
                        </td>
                        <td>
                          <span class={`event event-${kindOf(e.type)}`}>{e.type}</span>
                        </td>
                        <td class="what">{summary(e, page.names)}</td>
                        <td class="mono small">{e.metadata.actor}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              {next != null && (
                <button class="more" onClick={loadMore}>
                  Older events
                </button>
              )}
            </>
          );
        }}
      </Body>
    </section>
  );
}
