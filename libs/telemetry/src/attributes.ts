/** Span attribute keys, in one place so hub, agent and dashboards agree on them. */
export const Attr = {
  clusterId: 'flotilla.cluster.id',
  clusterName: 'flotilla.cluster.name',
  messageId: 'flotilla.message.id',
  registrationTokenId: 'flotilla.registration.token_id',
  refusalReason: 'flotilla.registration.refusal_reason',
  // OpenTelemetry messaging semantic conventions.
  messagingSystem: 'messaging.system',
  messagingDestination: 'messaging.destination.name',
  messagingOperation: 'messaging.operation.type',
  /** Messages handled together (a status batch). */
  messagingBatchSize: 'messaging.batch.message_count',
} as const;
