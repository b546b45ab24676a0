import { z } from 'zod';
import { driftHistoryQuerySchema, driftQuerySchema } from '../drift/drift.schemas';
import { clusterStateQuerySchema } from '../time-travel/time-travel.controller';
import { historyQuerySchema } from './history.schemas';

/**
 * The query side's part of the OpenAPI document (history, drift, time travel, audit), merged
 * into openapi.document.ts. Query parameters come from the zod schemas the controllers
 * validate with; responses are described by hand.
 */
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [String(code), { description: 'Error', ...json(ref('Error')) }]));
const viewer = { 'x-flotilla-role': 'viewer', security: [{ bearer: [] }] };
const time = { type: 'string', format: 'date-time' };
const nullableTime = { type: ['string', 'null'], format: 'date-time' };

function queryParameters(schema: z.ZodType): object[] {
  const jsonSchema = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }) as {
    properties?: Record<string, { description?: string }>;
  };
  return Object.entries(jsonSchema.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: false,
    ...(property.description ? { description: property.description } : {}),
    schema: { ...property, description: undefined },
  }));
}

const resourceRef = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    namespace: { type: 'string' },
    name: { type: 'string' },
  },
};
const driftFields = {
  type: 'array',
  items: { type: 'object', properties: { path: { type: 'string' }, desired: {}, live: {} } },
  description: 'JSON pointers of the fields that differ; Secret values are <redacted>',
};

const historyEvent = {
  type: 'object',
  properties: {
    position: { type: 'integer' },
    streamId: { type: 'string' },
    version: { type: 'integer' },
    id: { type: 'string', format: 'uuid' },
    type: { type: 'string' },
    schemaVersion: { type: 'integer', description: 'data is the stored shape of this version' },
    data: {
      type: 'object',
      description: 'As stored, except hashes of credentials (secretHash, tokenHash, ...), shown as "[hidden]"',
    },
    metadata: { type: 'object', properties: { actor: { type: 'string' } } },
    recordedAt: time,
    hash: { type: 'string' },
  },
};

const driftItem = {
  type: 'object',
  properties: {
    clusterId: { type: 'string' },
    clusterName: { type: ['string', 'null'] },
    application: { type: 'string' },
    resource: resourceRef,
    reason: { type: 'string', enum: ['missing', 'modified'] },
    fields: driftFields,
    mode: { type: 'string', enum: ['detect', 'correct'], description: 'correct: the agent puts it back by itself' },
    since: time,
    lastDetectedAt: time,
    episodeId: { type: 'integer' },
  },
};

const driftEpisode = {
  type: 'object',
  properties: {
    episodeId: { type: 'integer', description: 'Log position of the event that opened it' },
    clusterId: { type: 'string' },
    clusterName: { type: ['string', 'null'] },
    application: { type: 'string' },
    resource: resourceRef,
    reason: { type: 'string', enum: ['missing', 'modified'] },
    fields: driftFields,
    mode: { type: 'string', enum: ['detect', 'correct'] },
    detections: { type: 'integer' },
    detectedAt: time,
    endedAt: { ...nullableTime, description: 'null while open' },
    endReason: { type: ['string', 'null'], enum: ['corrected', 'resolved', 'pruned', 'removed', 'deregistered', null] },
    durationMs: { type: ['integer', 'null'] },
  },
};

const clusterState = {
  type: 'object',
  properties: {
    clusterId: { type: 'string' },
    clusterName: { type: 'string' },
    at: time,
    registeredAt: time,
    deregisteredAt: nullableTime,
    desired: {
      type: ['object', 'null'],
      description: 'The last DesiredStateAssigned recorded at or before `at`',
      properties: {
        revision: { type: 'integer' },
        assignedAt: time,
        applications: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              source: { type: 'string' },
              commit: { type: 'string' },
              bundleDigest: { type: 'string' },
              namespace: { type: 'string' },
              policy: { type: 'object' },
            },
          },
        },
      },
    },
    applied: {
      type: 'array',
      description: 'Per application, its last SyncSucceeded at or before `at`, unless removed since',
      items: {
        type: 'object',
        properties: {
          application: { type: 'string' },
          revision: { type: 'integer' },
          commit: { type: 'string' },
          bundleDigest: { type: 'string' },
          syncedAt: nullableTime,
          recordedAt: time,
        },
      },
    },
  },
};

const verifyResult = {
  oneOf: [
    {
      type: 'object',
      properties: {
        ok: { const: true },
        checked: { type: 'integer' },
        headPosition: { type: 'integer' },
        headHash: {
          type: 'string',
          description: 'Compare with a copy kept elsewhere: truncation is invisible from inside',
        },
      },
    },
    {
      type: 'object',
      properties: {
        ok: { const: false },
        checked: { type: 'integer' },
        brokenAt: { type: 'integer' },
        reason: { type: 'string' },
      },
    },
  ],
};

export const queriesOpenApi = {
  schemas: {
    HistoryEvent: historyEvent,
    DriftItem: driftItem,
    DriftEpisode: driftEpisode,
    ClusterState: clusterState,
    AuditVerifyResult: verifyResult,
  },
  paths: {
    '/api/v1/events': {
      get: {
        summary: 'The event log, filtered, newest or oldest first, paged by position',
        description:
          'With `Accept: application/x-ndjson` every match is streamed, one event per line, with no page limit ' +
          '(`limit` is ignored; the export stops at the head as it was when it began). A group filter means its ' +
          'members now. A commit prefix must be unique (400 ambiguous-commit otherwise).',
        ...viewer,
        parameters: queryParameters(historyQuerySchema),
        responses: {
          '200': {
            description: 'One page',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  properties: {
                    items: { type: 'array', items: ref('HistoryEvent') },
                    nextCursor: { type: ['integer', 'null'], description: 'cursor of the next page; null at the end' },
                  },
                },
              },
              'application/x-ndjson': { schema: ref('HistoryEvent') },
            },
          },
          ...errors(400, 401, 404),
        },
      },
    },
    '/api/v1/drift': {
      get: {
        summary: 'Every cluster drifted now, per application and resource, with field paths, since when and mode',
        ...viewer,
        parameters: queryParameters(driftQuerySchema),
        responses: {
          '200': {
            description: 'OK',
            ...json({
              type: 'object',
              properties: {
                summary: {
                  type: 'object',
                  properties: {
                    clusters: { type: 'integer' },
                    resources: { type: 'integer' },
                    applications: {
                      type: 'array',
                      items: {
                        type: 'object',
                        properties: {
                          application: { type: 'string' },
                          clusters: { type: 'integer' },
                          resources: { type: 'integer' },
                          correcting: { type: 'integer' },
                        },
                      },
                    },
                  },
                },
                items: { type: 'array', items: ref('DriftItem') },
              },
            }),
          },
          ...errors(400, 401, 404),
        },
      },
    },
    '/api/v1/drift/history': {
      get: {
        summary: 'Drift episodes overlapping [since, until), newest first, with how each ended and how long it lasted',
        ...viewer,
        parameters: queryParameters(driftHistoryQuerySchema),
        responses: {
          '200': {
            description: 'OK',
            ...json({
              type: 'object',
              properties: {
                since: nullableTime,
                until: nullableTime,
                summary: { type: 'object', description: 'episodes, open, ended per reason, per application' },
                items: { type: 'array', items: ref('DriftEpisode') },
                nextCursor: { type: ['integer', 'null'] },
              },
            }),
          },
          ...errors(400, 401, 404),
        },
      },
    },
    '/api/v1/clusters/{clusterId}/state': {
      parameters: [{ name: 'clusterId', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        summary: 'What the cluster was meant to run and had applied at a past moment',
        ...viewer,
        parameters: queryParameters(clusterStateQuerySchema),
        responses: { '200': { description: 'OK', ...json(ref('ClusterState')) }, ...errors(400, 401, 404) },
      },
    },
    '/api/v1/audit/verify': {
      get: {
        summary: "Walks the log's hash chain and names the first position where it breaks",
        ...viewer,
        responses: { '200': { description: 'OK', ...json(ref('AuditVerifyResult')) }, ...errors(401) },
      },
    },
  },
};
