import type { EntityManager } from 'typeorm';
import type { Projection, RecordedEvent } from '@flotilla/event-store';
import { applicationEventTypes, type ApplicationEvent } from '@flotilla/domain';

/** The application list: each application's spec, pin, and who changed it last. */
export const applicationsProjection: Projection = {
  name: 'hub-applications',
  handles: applicationEventTypes,

  async apply(events: RecordedEvent[], tx: EntityManager): Promise<void> {
    for (const recorded of events) {
      const event = { type: recorded.type, data: recorded.data } as ApplicationEvent;
      const at = recorded.recordedAt;
      const actor = recorded.metadata.actor;
      const position = recorded.position;
      switch (event.type) {
        case 'ApplicationCreated':
          // A re-created name starts over: nothing of the deleted application carries across.
          await tx.query(`DELETE FROM hub_applications WHERE name = $1`, [event.data.name]);
          await tx.query(
            `INSERT INTO hub_applications (name, spec, source, created_at, created_by, updated_at, updated_by, position)
             VALUES ($1, $2, $3, $4, $5, $4, $5, $6)`,
            [event.data.name, JSON.stringify(event.data.spec), event.data.spec.source, at, actor, position],
          );
          break;
        case 'ApplicationChanged':
          await tx.query(
            `UPDATE hub_applications SET spec = $2, source = $3, updated_at = $4, updated_by = $5, position = $6
             WHERE name = $1`,
            [event.data.name, JSON.stringify(event.data.spec), event.data.spec.source, at, actor, position],
          );
          break;
        case 'ApplicationDeleted':
          await tx.query(
            `UPDATE hub_applications SET deleted = true, deleted_at = $2, deleted_by = $3,
               pinned_commit = NULL, pinned_at = NULL, pinned_by = NULL, position = $4
             WHERE name = $1`,
            [event.data.name, at, actor, position],
          );
          break;
        case 'ApplicationPinned':
          await tx.query(
            `UPDATE hub_applications SET pinned_commit = $2, pinned_at = $3, pinned_by = $4, position = $5 WHERE name = $1`,
            [event.data.name, event.data.commit, at, actor, position],
          );
          break;
        case 'ApplicationUnpinned':
          await tx.query(
            `UPDATE hub_applications SET pinned_commit = NULL, pinned_at = NULL, pinned_by = NULL, position = $2
             WHERE name = $1`,
            [event.data.name, position],
          );
          break;
        case 'ApplicationSyncRequested':
          await tx.query(
            `UPDATE hub_applications SET sync_requested_at = $2, sync_requested_by = $3, sync_requested_cluster = $4,
               position = $5 WHERE name = $1`,
            [event.data.name, at, actor, event.data.clusterId ?? null, position],
          );
          break;
      }
    }
  },

  async reset(tx: EntityManager): Promise<void> {
    await tx.query('DELETE FROM hub_applications');
  },
};
