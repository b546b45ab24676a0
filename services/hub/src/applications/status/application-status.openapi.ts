/**
 * The application status part of the OpenAPI document, merged into openapi.document.ts by the
 * hub (`schemas` into components.schemas, `paths` into paths).
 */
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [String(code), { description: 'Error', ...json(ref('Error')) }]));
const nullableString = { type: ['string', 'null'] };

const clusterStatusSchema = {
  type: 'object',
  properties: {
    clusterId: { type: 'string' },
    clusterName: { type: 'string' },
    state: {
      type: 'string',
      enum: ['connected', 'disconnected', 'pending'],
      description: 'pending = no heartbeat yet',
    },
    desiredRevision: { type: ['integer', 'null'], description: 'The desired-state revision that assigned it' },
    desiredCommit: nullableString,
    desiredBundle: nullableString,
    appliedCommit: nullableString,
    appliedBundle: nullableString,
    sync: { type: 'string', enum: ['pending', 'syncing', 'synced', 'failed'] },
    health: {
      type: 'string',
      enum: ['healthy', 'progressing', 'degraded', 'missing', 'unknown'],
      description: 'unknown unless the cluster is connected: an offline cluster is never reported healthy',
    },
    drifted: { type: 'boolean' },
    driftedResources: { type: 'integer' },
    lastSyncAt: { type: ['string', 'null'], format: 'date-time' },
    message: { ...nullableString, description: 'Why the last sync failed' },
  },
};

const statusEvents = {
  SyncStarted: 'clusterId, application, revision, commit, bundleDigest, at',
  SyncSucceeded: 'clusterId, application, revision, commit, bundleDigest, at, resources [{ref, action}]',
  SyncFailed:
    'clusterId, application, revision, commit, bundleDigest, at, message, resources [{ref, action, reason?, message?}]',
  HealthChanged: 'clusterId, application, status, previous?, resource?, message, at',
  DriftDetected:
    'clusterId, application, resource, reason (missing|modified), fields [{path, desired, live}], mode, at; Secret values <redacted>',
  DriftCorrected: 'clusterId, application, resource, reason, fields, at',
  DriftResolved: 'clusterId, application, resource, at',
  ApplicationRemoved: 'clusterId, application, pruned, at',
  StatusRejected: 'on status-rejections: subject, messageId?, clusterId?, reason (never the body)',
};

export const applicationStatusOpenApi = {
  schemas: {
    ApplicationClusterStatus: clusterStatusSchema,
    ApplicationStatus: {
      type: 'object',
      properties: {
        application: { type: 'string' },
        summary: {
          type: 'object',
          properties: {
            clusters: { type: 'integer' },
            synced: { type: 'integer' },
            healthy: { type: 'integer' },
            drifted: { type: 'integer' },
            offline: { type: 'integer' },
            failed: { type: 'integer' },
          },
        },
        clusters: {
          type: 'array',
          items: ref('ApplicationClusterStatus'),
          description: 'Every assigned cluster; never truncated',
        },
      },
    },
  },
  paths: {
    '/api/v1/applications/{name}/status': {
      get: {
        summary: 'Status of an application on every cluster it is assigned to',
        'x-flotilla-role': 'viewer',
        security: [{ bearer: [] }],
        'x-flotilla-events': statusEvents,
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'OK', ...json(ref('ApplicationStatus')) }, ...errors(401, 404) },
      },
    },
  },
};
