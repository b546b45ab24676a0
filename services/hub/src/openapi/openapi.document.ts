import { z } from 'zod';
import { createRegistrationTokenSchema, setClusterLabelsSchema } from '../clusters/clusters.schemas';
import { createClusterGroupSchema } from '../groups/groups.schemas';
import { createApiTokenSchema } from '../tokens/tokens.schemas';
import { sourcesOpenApi } from '../sources/sources.openapi';
import { applicationsOpenApi } from '../applications/applications.openapi';
import { applicationStatusOpenApi } from '../applications/status/application-status.openapi';
import { queriesOpenApi } from '../history/queries.openapi';

/**
 * The OpenAPI 3.1 document of the REST API. Request bodies come from the same zod schemas
 * the controllers validate with, so the document cannot drift from what is enforced;
 * responses are described by hand.
 */
const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' });

const errorSchema = {
  type: 'object',
  required: ['statusCode', 'error', 'code', 'message'],
  properties: {
    statusCode: { type: 'integer' },
    error: {
      type: 'string',
      description: 'Category: validation, unauthorized, forbidden, not-found, conflict, unavailable, internal',
    },
    code: { type: 'string' },
    message: { type: 'string' },
    field: { type: 'string', description: 'The offending input, for validation errors' },
  },
};

const clusterSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    labels: { type: 'object', additionalProperties: { type: 'string' } },
    state: {
      type: 'string',
      enum: ['pending', 'connected', 'disconnected', 'deregistered'],
      description: 'Only connected is healthy; pending = no heartbeat yet',
    },
    lastSeenAt: { type: ['string', 'null'], format: 'date-time' },
    stateChangedAt: { type: ['string', 'null'], format: 'date-time' },
    agentVersion: { type: 'string' },
    kubernetesVersion: { type: 'string' },
    publicKey: { type: 'string' },
    registeredAt: { type: 'string', format: 'date-time' },
    deregisteredAt: { type: ['string', 'null'], format: 'date-time' },
  },
};

const groupSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    selector: { $ref: '#/components/schemas/LabelSelector' },
    description: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    createdBy: { type: 'string' },
    members: {
      type: 'array',
      items: {
        type: 'object',
        properties: { id: { type: 'string' }, name: { type: 'string' }, state: { type: 'string' } },
      },
    },
  },
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [String(code), { description: 'Error', ...json(ref('Error')) }]));
const body = (name: string) => ({ required: true, ...json(ref(name)) });
const role = (r: string) => ({ 'x-flotilla-role': r, security: [{ bearer: [] }] });

export function buildOpenApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: { title: 'Flotilla hub API', version: 'v1' },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'API token flt_api_<id>_<secret>; roles viewer < operator < admin',
        },
      },
      schemas: {
        Error: errorSchema,
        Cluster: clusterSchema,
        ClusterGroup: groupSchema,
        LabelSelector: jsonSchema(createClusterGroupSchema.shape.selector),
        CreateRegistrationToken: jsonSchema(createRegistrationTokenSchema),
        SetClusterLabels: jsonSchema(setClusterLabelsSchema),
        CreateClusterGroup: jsonSchema(createClusterGroupSchema),
        CreateApiToken: jsonSchema(createApiTokenSchema),
        ...sourcesOpenApi.schemas,
        ...applicationsOpenApi.schemas,
        ...applicationStatusOpenApi.schemas,
        ...queriesOpenApi.schemas,
      },
    },
    paths: {
      '/api/v1/registration-tokens': {
        post: {
          summary: 'Create a single-use registration token (shown once)',
          ...role('operator'),
          requestBody: body('CreateRegistrationToken'),
          responses: {
            '201': {
              description: 'Created',
              ...json({
                type: 'object',
                properties: {
                  tokenId: { type: 'string' },
                  token: { type: 'string' },
                  expiresAt: { type: 'string' },
                  labels: { type: 'object' },
                  bootstrapCreds: {
                    type: 'string',
                    description: 'NATS creds of the bootstrap user, which may only send a registration request',
                  },
                },
              }),
            },
            ...errors(400, 401, 403),
          },
        },
      },
      '/api/v1/clusters': {
        get: {
          summary: 'List live clusters',
          ...role('viewer'),
          parameters: [
            { name: 'selector', in: 'query', schema: { type: 'string' }, description: 'key=value,key2=value2' },
            { name: 'includeDeregistered', in: 'query', schema: { type: 'string', enum: ['true', 'false'] } },
          ],
          responses: {
            '200': {
              description: 'OK',
              ...json({ type: 'object', properties: { items: { type: 'array', items: ref('Cluster') } } }),
            },
            ...errors(400, 401),
          },
        },
      },
      '/api/v1/clusters/{clusterId}': {
        parameters: [{ name: 'clusterId', in: 'path', required: true, schema: { type: 'string' } }],
        get: {
          summary: 'One cluster, with the groups it belongs to',
          ...role('viewer'),
          responses: { '200': { description: 'OK', ...json(ref('Cluster')) }, ...errors(401, 404) },
        },
        delete: {
          summary: 'Deregister: revokes its NATS credentials',
          ...role('admin'),
          responses: { '200': { description: 'Deregistered', ...json(ref('Cluster')) }, ...errors(401, 403, 404, 409) },
        },
      },
      '/api/v1/clusters/{clusterId}/labels': {
        parameters: [{ name: 'clusterId', in: 'path', required: true, schema: { type: 'string' } }],
        put: {
          summary: 'Replace the labels',
          ...role('operator'),
          requestBody: body('SetClusterLabels'),
          responses: { '200': { description: 'OK', ...json(ref('Cluster')) }, ...errors(400, 401, 403, 404, 409) },
        },
      },
      '/api/v1/cluster-groups': {
        get: {
          summary: 'List cluster groups with members',
          ...role('viewer'),
          responses: {
            '200': {
              description: 'OK',
              ...json({ type: 'object', properties: { items: { type: 'array', items: ref('ClusterGroup') } } }),
            },
            ...errors(401),
          },
        },
        post: {
          summary: 'Create a cluster group',
          ...role('operator'),
          requestBody: body('CreateClusterGroup'),
          responses: { '201': { description: 'Created', ...json(ref('ClusterGroup')) }, ...errors(400, 401, 403, 409) },
        },
      },
      '/api/v1/cluster-groups/{name}': {
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        get: {
          summary: 'One cluster group with members',
          ...role('viewer'),
          responses: { '200': { description: 'OK', ...json(ref('ClusterGroup')) }, ...errors(401, 404) },
        },
        delete: {
          summary: 'Delete a cluster group',
          ...role('operator'),
          responses: { '204': { description: 'Deleted' }, ...errors(401, 403, 404, 409) },
        },
      },
      '/api/v1/api-tokens': {
        get: {
          summary: 'List API tokens (never their secrets)',
          ...role('admin'),
          responses: { '200': { description: 'OK' }, ...errors(401, 403) },
        },
        post: {
          summary: 'Create an API token (shown once)',
          ...role('admin'),
          requestBody: body('CreateApiToken'),
          responses: {
            '201': {
              description: 'Created',
              ...json({
                type: 'object',
                properties: {
                  tokenId: { type: 'string' },
                  name: { type: 'string' },
                  role: { type: 'string' },
                  token: { type: 'string' },
                },
              }),
            },
            ...errors(400, 401, 403),
          },
        },
      },
      '/api/v1/api-tokens/{tokenId}': {
        parameters: [{ name: 'tokenId', in: 'path', required: true, schema: { type: 'string' } }],
        delete: {
          summary: 'Revoke an API token',
          ...role('admin'),
          responses: { '204': { description: 'Revoked' }, ...errors(401, 403, 404) },
        },
      },
      '/healthz': { get: { summary: 'Liveness', responses: { '200': { description: 'OK' } } } },
      '/readyz': {
        get: {
          summary: 'Readiness: Postgres, NATS, projections',
          responses: { '200': { description: 'Ready' }, '503': { description: 'Not ready' } },
        },
      },
      ...sourcesOpenApi.paths,
      ...applicationsOpenApi.paths,
      ...applicationStatusOpenApi.paths,
      ...queriesOpenApi.paths,
    },
  };
}
