// @flotilla/api: the hub's REST contract, written once. Zod schemas of every request and
// answer, the route table, and the OpenAPI document generated from them. The hub validates
// with these schemas and serves the document; the CLI reads answers through their inferred
// types, so it never imports hub code. See README.md for how a new route gets in.
export * from './application-status.schemas';
export * from './applications.schemas';
export * from './audit.schemas';
export * from './clusters.schemas';
export * from './common.schemas';
export * from './drift.schemas';
export * from './cluster-groups.schemas';
export * from './health.schemas';
export * from './history.schemas';
export * from './limits';
export * from './query-time';
export * from './sources.schemas';
export * from './time-travel.schemas';
export * from './api-tokens.schemas';
export { routes, type Content, type HttpMethod, type Route, type RouteId } from './routes';
export { buildOpenApiDocument, namedSchemas } from './openapi';
