// Harnesses that start or provision real servers for tests (never mocks): a database per
// test on the real Postgres, the shared NATS, and the real kube-apiserver.
export * from './postgres';
export * from './nats';
export * from './ports';
export * from './nats-server';
export * from './kube';
export * from './own-postgres';
export * from './oci-registry';
