import { z } from 'zod';
import { pinApplicationSchema, requestSyncSchema } from './applications.schemas';

/**
 * The applications part of the OpenAPI document, merged into openapi.document.ts by the hub
 * (`schemas` into components.schemas, `paths` into paths). `x-flotilla-events` lists what
 * the capability records on each application's stream `application-<name>`.
 */
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [String(code), { description: 'Error', ...json(ref('Error')) }]));
const role = (r: string) => ({ 'x-flotilla-role': r, security: [{ bearer: [] }] });
const nameParameter = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
const time = { type: 'string', format: 'date-time' };

const applicationFileSchema = {
  type: 'object',
  description: 'The application file (libs/manifests/APPLICATION.md): unknown fields are refused at any depth',
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'flotilla.dev/v1' },
    kind: { const: 'Application' },
    metadata: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
    spec: {
      type: 'object',
      required: ['source', 'path', 'targets'],
      properties: {
        source: { type: 'string', description: 'A source registered on the hub' },
        path: { type: 'string' },
        pinnedCommit: { type: 'string', description: 'Full commit id the file pins' },
        targets: {
          type: 'array',
          items: { type: 'object', description: 'Exactly one of group (an existing cluster group) or selector' },
        },
        syncPolicy: {
          type: 'object',
          properties: {
            automated: { type: 'boolean' },
            prune: { type: 'boolean' },
            driftMode: { enum: ['detect', 'correct'] },
            ignoredFields: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
          },
        },
      },
    },
  },
};

const applicationSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    spec: { type: 'object', description: 'The normalised spec (defaults applied)' },
    file: ref('ApplicationFile'),
    pinnedCommit: {
      type: ['string', 'null'],
      description:
        "The commit every cluster stays on (an operator's pin wins over the file's); null = follow the branch",
    },
    pin: {
      type: ['object', 'null'],
      properties: {
        commit: { type: 'string' },
        by: { enum: ['operator', 'file'] },
        actor: { type: ['string', 'null'] },
        at: { type: ['string', 'null'], format: 'date-time' },
      },
    },
    createdAt: time,
    createdBy: { type: 'string' },
    updatedAt: time,
    updatedBy: { type: 'string' },
    lastSyncRequest: {
      type: ['object', 'null'],
      properties: { at: time, by: { type: 'string' }, clusterId: { type: ['string', 'null'] } },
    },
  },
};

const invalidApplicationSchema = {
  allOf: [
    ref('Error'),
    {
      type: 'object',
      properties: {
        issues: {
          type: 'array',
          description: 'Every problem at once (code invalid-application); field is the first one',
          items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } },
        },
      },
    },
  ],
};

const applicationEvents = {
  ApplicationCreated: 'name, spec (normalised)',
  ApplicationChanged: 'name, spec; nothing is recorded when the spec is unchanged',
  ApplicationDeleted: 'name',
  ApplicationPinned: 'name, commit',
  ApplicationUnpinned: 'name',
  ApplicationSyncRequested: 'name, clusterId?',
};

export const applicationsOpenApi = {
  schemas: {
    Application: applicationSchema,
    ApplicationFile: applicationFileSchema,
    InvalidApplication: invalidApplicationSchema,
    PinApplication: z.toJSONSchema(pinApplicationSchema, { target: 'draft-2020-12', io: 'input' }),
    RequestSync: z.toJSONSchema(requestSyncSchema, { target: 'draft-2020-12', io: 'input' }),
  },
  paths: {
    '/api/v1/applications': {
      get: {
        summary: 'List live applications',
        ...role('viewer'),
        parameters: [
          { name: 'source', in: 'query', schema: { type: 'string' }, description: 'Only those of a source' },
        ],
        responses: {
          '200': {
            description: 'OK',
            ...json({ type: 'object', properties: { items: { type: 'array', items: ref('Application') } } }),
          },
          ...errors(401),
        },
      },
    },
    '/api/v1/applications/{name}': {
      parameters: [nameParameter],
      get: {
        summary: 'One application',
        ...role('viewer'),
        responses: { '200': { description: 'OK', ...json(ref('Application')) }, ...errors(401, 404) },
      },
      put: {
        summary: 'Create or change an application from its file',
        description:
          'metadata.name must equal {name}; spec.source and every target group must exist. Nothing is recorded when ' +
          'the file is invalid (400 lists every issue) or unchanged.',
        ...role('operator'),
        'x-flotilla-events': applicationEvents,
        requestBody: {
          required: true,
          content: {
            'application/yaml': { schema: { type: 'string' } },
            'application/json': { schema: ref('ApplicationFile') },
          },
        },
        responses: {
          '200': {
            description: 'Changed (outcome changed) or unchanged (outcome unchanged)',
            ...json({ allOf: [ref('Application'), { properties: { outcome: { enum: ['changed', 'unchanged'] } } }] }),
          },
          '201': { description: 'Created (outcome created)', ...json(ref('Application')) },
          '400': { description: 'Invalid application', ...json(ref('InvalidApplication')) },
          ...errors(401, 403, 409),
        },
      },
      delete: {
        summary: 'Delete an application: agents remove it (pruned where its policy says prune); its history stays',
        ...role('operator'),
        responses: { '204': { description: 'Deleted' }, ...errors(401, 403, 404, 409) },
      },
    },
    '/api/v1/applications/{name}/pin': {
      parameters: [nameParameter],
      post: {
        summary: "Pin to a commit (rollback): stays until unpinned, and wins over the file's spec.pinnedCommit",
        ...role('operator'),
        requestBody: { required: true, ...json(ref('PinApplication')) },
        responses: {
          '200': { description: 'Pinned', ...json(ref('Application')) },
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
    '/api/v1/applications/{name}/unpin': {
      parameters: [nameParameter],
      post: {
        summary: "End the operator's pin (409 when there is none)",
        ...role('operator'),
        responses: {
          '200': { description: 'Unpinned', ...json(ref('Application')) },
          ...errors(401, 403, 404, 409),
        },
      },
    },
    '/api/v1/applications/{name}/sync': {
      parameters: [nameParameter],
      post: {
        summary: 'Apply now, on every targeted cluster or on one (ApplicationSyncRequested)',
        ...role('operator'),
        requestBody: { required: false, ...json(ref('RequestSync')) },
        responses: {
          '202': {
            description: 'Accepted',
            ...json({
              type: 'object',
              properties: {
                application: { type: 'string' },
                clusterId: { type: ['string', 'null'] },
                accepted: { type: 'boolean' },
              },
            }),
          },
          ...errors(400, 401, 403, 404, 409),
        },
      },
    },
  },
};
