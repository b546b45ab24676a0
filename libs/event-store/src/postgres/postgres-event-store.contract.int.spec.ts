import { createTestDatabase } from '@flotilla/testing';
import { describeEventStoreContract } from '../testing/event-store.contract';
import { createPostgresEventStore } from './postgres-event-store';

describeEventStoreContract('postgres', async (options) => {
  const db = await createTestDatabase('es_contract');
  try {
    const store = await createPostgresEventStore({ url: db.url, poolSize: 3, ...options });
    return {
      store,
      dispose: async () => {
        await store.close();
        await db.drop();
      },
    };
  } catch (err) {
    await db.drop();
    throw err;
  }
});
