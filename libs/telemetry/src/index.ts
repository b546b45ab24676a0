// OpenTelemetry for hub and agent: start-up with the exporter chosen by config (none by
// default), the span attribute keys both sides use, and trace context carried in NATS
// headers so one trace follows a message from the hub to an agent and back.
export * from './attributes';
export * from './nats-trace-context';
export * from './telemetry';
