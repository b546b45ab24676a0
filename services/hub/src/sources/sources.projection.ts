import type { EntityManager } from 'typeorm';
import type { Projection, RecordedEvent } from '@flotilla/event-store';
import { sourceEventTypes, type SourceEvent } from '@flotilla/domain';

/** The source list with each source's fetch state: ok / failing since, last error, last observed commit. */
export const sourcesProjection: Projection = {
  name: 'hub-sources',
  handles: sourceEventTypes,

  async apply(events: RecordedEvent[], tx: EntityManager): Promise<void> {
    for (const recorded of events) {
      const event = { type: recorded.type, data: recorded.data } as SourceEvent;
      const position = recorded.position;
      switch (event.type) {
        case 'SourceAdded': {
          const d = event.data;
          // A re-added name starts over: nothing of the removed source's state carries across.
          await tx.query(`DELETE FROM hub_sources WHERE name = $1`, [d.name]);
          await tx.query(
            `INSERT INTO hub_sources (name, url, branch, poll_interval_seconds, credentials_ref, webhook_secret_ref, added_at, added_by, status, position)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9)`,
            [
              d.name,
              d.url,
              d.branch,
              d.pollIntervalSeconds,
              d.credentialsRef ?? null,
              d.webhookSecretRef ?? null,
              recorded.recordedAt,
              recorded.metadata.actor,
              position,
            ],
          );
          break;
        }
        case 'SourceChanged': {
          const d = event.data;
          await tx.query(
            `UPDATE hub_sources SET branch = $2, poll_interval_seconds = $3, credentials_ref = $4,
               webhook_secret_ref = $5, position = $6
             WHERE name = $1`,
            [d.name, d.branch, d.pollIntervalSeconds, d.credentialsRef ?? null, d.webhookSecretRef ?? null, position],
          );
          break;
        }
        case 'SourceRemoved':
          await tx.query(`DELETE FROM hub_sources WHERE name = $1`, [event.data.name]);
          break;
        case 'CommitObserved': {
          const d = event.data;
          await tx.query(
            `UPDATE hub_sources SET last_commit_sha = $2, last_commit_message = $3, last_commit_author = $4,
               last_commit_committed_at = $5, last_observed_at = $6,
               status = CASE WHEN failing_since IS NULL THEN 'ok' ELSE status END, position = $7
             WHERE name = $1`,
            [d.source, d.sha, d.message, `${d.author.name} <${d.author.email}>`, d.committedAt, d.observedAt, position],
          );
          break;
        }
        case 'SourceHistoryRewritten':
          await tx.query(
            `UPDATE hub_sources SET history_rewritten_at = $2, last_observed_at = $2,
               last_commit_sha = $3, last_commit_message = NULL, last_commit_author = NULL, last_commit_committed_at = NULL,
               status = CASE WHEN failing_since IS NULL THEN 'ok' ELSE status END, position = $4
             WHERE name = $1`,
            [event.data.source, event.data.at, event.data.newSha, position],
          );
          break;
        case 'SourceFetchFailed':
          await tx.query(
            `UPDATE hub_sources SET status = 'failing', failing_since = $2, last_error = $3, last_error_at = $2, position = $4
             WHERE name = $1`,
            [event.data.source, event.data.at, event.data.reason, position],
          );
          break;
        case 'SourceFetchRecovered':
          await tx.query(
            `UPDATE hub_sources SET status = CASE WHEN last_commit_sha IS NULL THEN 'pending' ELSE 'ok' END,
               failing_since = NULL, position = $2 WHERE name = $1`,
            [event.data.source, position],
          );
          break;
        case 'WebhookRejected':
          await tx.query(
            `UPDATE hub_sources SET webhook_rejections = webhook_rejections + 1, last_webhook_rejected_at = $2,
               last_webhook_rejection = $3, position = $4 WHERE name = $1`,
            [event.data.source, event.data.at, `${event.data.provider}: ${event.data.reason}`, position],
          );
          break;
      }
    }
  },

  async reset(tx: EntityManager): Promise<void> {
    await tx.query('DELETE FROM hub_sources');
  },
};
