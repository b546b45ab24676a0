import { z } from 'zod';
import { applicationStatusSchema } from './application-status.schemas';
import { applicationFileSchema, applicationSchema } from './applications.schemas';
import { clusterSchema, labelsSchema } from './clusters.schemas';
import { errorBodySchema } from './common.schemas';
import { driftEpisodeSchema, driftItemSchema } from './drift.schemas';
import { clusterGroupSchema, labelSelectorSchema } from './cluster-groups.schemas';
import { historyEventSchema } from './history.schemas';
import { routes, type Content, type Route } from './routes';
import { sourceSchema } from './sources.schemas';

/**
 * The OpenAPI 3.1 document, generated from the route table and its zod schemas with zod's own
 * JSON Schema output (OpenAPI 3.1 schemas are JSON Schema 2020-12, so nothing is translated).
 * The committed copy (docs/openapi.json) is this function's output; `npm run openapi`
 * rewrites it and `npm run lint` fails when it differs.
 */

/** Schemas shown once under components.schemas and referenced wherever they appear. */
export const namedSchemas: Record<string, z.ZodType> = {
  Error: errorBodySchema,
  Labels: labelsSchema,
  LabelSelector: labelSelectorSchema,
  Cluster: clusterSchema,
  ClusterGroup: clusterGroupSchema,
  Source: sourceSchema,
  ApplicationFile: applicationFileSchema,
  Application: applicationSchema,
  ApplicationStatus: applicationStatusSchema,
  HistoryEvent: historyEventSchema,
  DriftItem: driftItemSchema,
  DriftEpisode: driftEpisodeSchema,
};

const statusText: Record<number, string> = {
  400: 'Invalid request',
  401: 'No valid bearer token',
  403: 'The token’s role is too low',
  404: 'Not found',
  409: 'Conflict with the current state',
  413: 'Body too large',
  415: 'Unsupported media type',
  503: 'Unavailable',
};

type Json = Record<string, unknown>;
const slotKey = '__slot';

export function buildOpenApiDocument(table: Record<string, Route> = routes): Json {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(namedSchemas)) registry.add(schema, { id });
  // A route's own schemas go through the same registry (so their nested named schemas become
  // $refs) under a slot id, and are inlined back where the route uses them.
  const slots = new Set<string>();
  const slot = (schema: z.ZodType, id: string): Json => {
    const named = registry.get(schema);
    if (named) return { [slotKey]: named.id };
    registry.add(schema, { id });
    slots.add(id);
    return { [slotKey]: id };
  };
  const content = (body: z.ZodType | Content, id: string): Json => {
    const byType: Content = body instanceof z.ZodType ? { 'application/json': body } : body;
    return Object.fromEntries(
      Object.entries(byType).map(([type, schema], i) => [type, { schema: slot(schema, `${id}.${i}`) }]),
    );
  };

  const paths: Record<string, Json> = {};
  for (const [operationId, route] of Object.entries(table)) {
    const parameters = [
      ...parametersOf(route.params, 'path', (s, n) => slot(s, `${operationId}.path.${n}`)),
      ...parametersOf(route.query, 'query', (s, n) => slot(s, `${operationId}.query.${n}`)),
    ];
    const responses: Json = {};
    for (const status of route.errors) {
      responses[String(status)] = {
        description: statusText[status] ?? 'Error',
        content: content(errorBodySchema, `${operationId}.error`),
      };
    }
    for (const [status, response] of Object.entries(route.responses)) {
      responses[status] = {
        description: response.description,
        ...(response.body ? { content: content(response.body, `${operationId}.${status}`) } : {}),
      };
    }
    paths[route.path] ??= {};
    paths[route.path]![route.method] = {
      operationId,
      summary: route.summary,
      ...(route.description ? { description: route.description } : {}),
      ...(route.auth === 'public' ? { security: [] } : { security: [{ bearer: [] }], 'x-flotilla-role': route.auth }),
      ...(route.events ? { 'x-flotilla-events': route.events } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body
        ? { requestBody: { required: !route.bodyOptional, content: content(route.body, `${operationId}.body`) } }
        : {}),
      responses,
    };
  }

  const generated = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'input',
    // Refinements by function (z.custom) have no JSON Schema: they show as "any value".
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  }).schemas;
  for (const schema of Object.values(generated)) {
    delete schema.$schema;
    delete schema.$id;
  }
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value === null || typeof value !== 'object') return value;
    const id = (value as Json)[slotKey];
    if (typeof id === 'string') return slots.has(id) ? generated[id] : { $ref: `#/components/schemas/${id}` };
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
  };
  const resolvedPaths = resolve(paths) as Json;
  // A slot some other schema refers to stays a component; the rest are inlined only.
  const referenced = JSON.stringify([resolvedPaths, generated]);
  const schemas = Object.fromEntries(
    Object.entries(generated).filter(([id]) => !slots.has(id) || referenced.includes(`"#/components/schemas/${id}"`)),
  );
  return {
    openapi: '3.1.0',
    info: {
      title: 'Flotilla hub API',
      version: 'v1',
      description: 'Generated from libs/api (zod schemas and the route table); do not edit docs/openapi.json.',
    },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'API token flt_api_<id>_<secret>; roles viewer < operator < admin (x-flotilla-role)',
        },
      },
      schemas,
    },
    paths: resolvedPaths,
  };
}

function parametersOf(
  schema: z.ZodObject | undefined,
  location: 'path' | 'query',
  slot: (schema: z.ZodType, name: string) => Json,
): Json[] {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, property]) => {
    const optional = (property as z.ZodType).safeParse(undefined).success;
    const description = (property as z.ZodType).description;
    return {
      name,
      in: location,
      required: location === 'path' || !optional,
      ...(description ? { description } : {}),
      schema: slot(property as z.ZodType, name),
    };
  });
}
