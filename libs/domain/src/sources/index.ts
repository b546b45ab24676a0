// Git sources: the repositories the hub watches, and what it observed in them.
export * from './source-location';
export * from './source.decider';
