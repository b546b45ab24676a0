// The wire contract between hub and agent: messages generated from proto/flotilla/v1 (do not
// edit src/gen; run `npm run generate`), the NATS subject layout with the per-cluster
// permissions, the NATS operator set-up (`nats init`), and the envelope helpers. Agent and CLI import this, never hub code.
export * from './gen/flotilla/v1/envelope_pb';
export * from './gen/flotilla/v1/registration_pb';
export * from './gen/flotilla/v1/heartbeat_pb';
export * from './gen/flotilla/v1/desired_state_pb';
export * from './gen/flotilla/v1/status_pb';
export * from './subjects';
export * from './messages';
export * from './nats-operator';
