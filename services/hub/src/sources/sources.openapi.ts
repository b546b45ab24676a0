import { z } from 'zod';
import { addSourceSchema } from './sources.schemas';

/**
 * The sources part of the OpenAPI document, merged into openapi.document.ts by the hub
 * (`schemas` into components.schemas, `paths` into paths). `x-flotilla-events` lists what
 * the capability records on each source's stream `source-<name>`.
 */
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
const errors = (...codes: number[]) =>
  Object.fromEntries(codes.map((code) => [String(code), { description: 'Error', ...json(ref('Error')) }]));
const role = (r: string) => ({ 'x-flotilla-role': r, security: [{ bearer: [] }] });
const nameParameter = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
const time = { type: ['string', 'null'], format: 'date-time' };

const sourceSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    url: { type: 'string' },
    branch: { type: 'string' },
    pollIntervalSeconds: { type: 'integer' },
    credentialsRef: { type: ['string', 'null'], description: 'A reference only; the secret never leaves the hub' },
    webhookSecretRef: { type: ['string', 'null'] },
    webhookPath: { type: ['string', 'null'], description: 'Where git hosts deliver push events' },
    status: {
      type: 'string',
      enum: ['pending', 'ok', 'failing'],
      description: 'pending until the first fetch; failing from the first failed fetch until one succeeds',
    },
    failingSince: time,
    lastError: { type: ['string', 'null'] },
    lastErrorAt: time,
    lastObservedCommit: {
      type: ['object', 'null'],
      properties: {
        sha: { type: 'string' },
        message: { type: ['string', 'null'] },
        author: { type: ['string', 'null'] },
        committedAt: time,
        observedAt: time,
      },
    },
    historyRewrittenAt: time,
    webhookRejections: { type: 'integer' },
    lastWebhookRejectedAt: time,
    lastWebhookRejection: { type: ['string', 'null'] },
    addedAt: { type: 'string', format: 'date-time' },
    addedBy: { type: 'string' },
  },
};

const sourceEvents = {
  SourceAdded: 'name, url, branch, pollIntervalSeconds, credentialsRef?, webhookSecretRef? (references only)',
  SourceRemoved: 'name',
  CommitObserved:
    'source, branch, sha, parents, author {name, email}, authoredAt, committedAt, message, changedPaths, changedPathsTruncated, observedAt; once per new commit, oldest first; a new source records its head only',
  SourceFetchFailed: 'source, reason, at; first failure of a streak only',
  SourceFetchRecovered: 'source, at, failingSince',
  SourceHistoryRewritten:
    'source, branch, previousSha, newSha, at; the head no longer descends from the last observed commit',
  WebhookRejected: 'source, provider (github|gitlab|gitea|unknown), reason, at; never the body',
};

export const sourcesOpenApi = {
  schemas: {
    Source: sourceSchema,
    AddSource: z.toJSONSchema(addSourceSchema, { target: 'draft-2020-12', io: 'input' }),
  },
  paths: {
    '/api/v1/sources': {
      get: {
        summary: 'List git sources with their fetch state',
        ...role('viewer'),
        responses: {
          '200': {
            description: 'OK',
            ...json({ type: 'object', properties: { items: { type: 'array', items: ref('Source') } } }),
          },
          ...errors(401),
        },
      },
      post: {
        summary: 'Add a git source (the hub mirrors and polls it)',
        ...role('operator'),
        'x-flotilla-events': sourceEvents,
        requestBody: { required: true, ...json(ref('AddSource')) },
        responses: { '201': { description: 'Added', ...json(ref('Source')) }, ...errors(400, 401, 403, 409) },
      },
    },
    '/api/v1/sources/{name}': {
      parameters: [nameParameter],
      get: {
        summary: 'One source: ok / failing since, last error, last observed commit',
        ...role('viewer'),
        responses: { '200': { description: 'OK', ...json(ref('Source')) }, ...errors(401, 404) },
      },
      delete: {
        summary: 'Stop watching a source (its history stays in the log)',
        ...role('operator'),
        responses: { '204': { description: 'Removed' }, ...errors(401, 403, 404, 409) },
      },
    },
    '/api/v1/sources/{name}/webhook': {
      parameters: [nameParameter],
      post: {
        summary: 'Push event from GitHub, GitLab or Gitea: verified, then an immediate fetch',
        description:
          'No bearer token: GitHub X-Hub-Signature-256 (HMAC-SHA256 of the raw body), Gitea X-Gitea-Signature ' +
          '(hex HMAC-SHA256), GitLab X-Gitlab-Token (the secret). A refusal is recorded as WebhookRejected.',
        security: [],
        requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } },
        responses: {
          '202': {
            description: 'Accepted; the fetch runs in the background',
            ...json({
              type: 'object',
              properties: {
                accepted: { type: 'boolean' },
                provider: { type: 'string' },
                triggered: { type: 'boolean' },
              },
            }),
          },
          ...errors(401, 404, 503),
        },
      },
    },
  },
};
