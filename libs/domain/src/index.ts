/**
 * @flotilla/domain: the business rules as pure deciders (decide/evolve) and plain data.
 * No I/O, no framework: time and ids come in with each command, so every rule is tested
 * given/when/then without a server.
 */
export * from './errors';
export * from './decider';
export * from './label-selector';
export * from './names';
export * from './secret-token';
export * from './cluster.decider';
export * from './registration-token.decider';
export * from './cluster-group.decider';
export * from './api-token.decider';
export * from './sources';
export * from './applications';
export * from './desired-state';
export * from './status';
