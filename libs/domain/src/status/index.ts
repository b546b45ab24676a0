export * from './status.events';
