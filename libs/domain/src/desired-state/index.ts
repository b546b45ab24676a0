// Desired state: which clusters an application targets, what each event asks to render and
// assign (the planner), and the next desired state of a cluster (pure; the hub's reactor
// does the I/O: git, rendering, the log, NATS).
export * from './desired-state.events';
export * from './targeting';
export * from './next-desired-state';
export * from './desired-state.planner';
export * from './render-decision';
export * from './object-policy-check';
