import { z } from 'zod';
import {
  applicationResourcesParamsSchema,
  applicationResourcesSchema,
  applicationStatusSchema,
} from './application-status.schemas';
import {
  appliedApplicationSchema,
  applicationFileSchema,
  applicationNameParamsSchema,
  applicationPolicySchema,
  applicationSchema,
  objectPolicySchema,
  invalidApplicationErrorSchema,
  listApplicationsQuerySchema,
  pinApplicationSchema,
  requestSyncSchema,
  syncAcceptedSchema,
  yamlContentTypes,
} from './applications.schemas';
import { auditVerifyResultSchema } from './audit.schemas';
import {
  clusterIdParamsSchema,
  clusterSchema,
  clusterWithGroupsSchema,
  createRegistrationTokenSchema,
  listClustersQuerySchema,
  registrationTokenSchema,
  setClusterLabelsSchema,
} from './clusters.schemas';
import { itemsOf } from './common.schemas';
import { driftEpisodesSchema, driftHistoryQuerySchema, driftNowSchema, driftQuerySchema } from './drift.schemas';
import { clusterGroupSchema, createClusterGroupSchema, groupNameParamsSchema } from './cluster-groups.schemas';
import { livenessSchema, readinessSchema } from './health.schemas';
import { historyEventSchema, historyPageSchema, historyQuerySchema, ndjsonMediaType } from './history.schemas';
import type { ApiRole } from './limits';
import {
  addSourceSchema,
  updateSourceSchema,
  refreshSourceResultSchema,
  sourceNameParamsSchema,
  sourceSchema,
  webhookAcceptedSchema,
  webhookBodySchema,
} from './sources.schemas';
import { clusterStateAtSchema, clusterStateQuerySchema } from './time-travel.schemas';
import { createApiTokenSchema, createdApiTokenSchema, apiTokenSchema, tokenIdParamsSchema } from './api-tokens.schemas';

/**
 * Every route the hub serves: the one table the OpenAPI document is generated from
 * (openapi.ts), and that the hub's route test holds the Nest app to in both directions.
 * A route's body, query, path parameters and answers are zod schemas; the hub validates
 * requests with the same ones, and the CLI reads answers through their inferred types.
 */
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
/** Media type -> schema, for a body or an answer offered in more than one form. */
export type Content = Record<string, z.ZodType>;

export interface Route {
  method: HttpMethod;
  /** OpenAPI style: `/api/v1/clusters/{clusterId}`. */
  path: string;
  summary: string;
  description?: string;
  /** The least role a bearer token needs (viewer < operator < admin); `public` needs none. */
  auth: ApiRole | 'public';
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** JSON unless given per media type. */
  body?: z.ZodType | Content;
  bodyOptional?: boolean;
  /** Status -> what it answers; a status without schema answers no body (204). */
  responses: Record<number, { description: string; body?: z.ZodType | Content }>;
  /** Error statuses answered with the hub's error body; a `responses` entry with the same status wins. */
  errors: number[];
  /** Stored events the route may record, by type: for readers of GET /history. */
  events?: Record<string, string>;
}

const sourceEvents = {
  SourceAdded: 'name, url, branch, pollIntervalSeconds, credentialsRef?, webhookSecretRef? (references only)',
  SourceRemoved: 'name',
  SourceChanged:
    'name, branch, pollIntervalSeconds, credentialsRef?, webhookSecretRef? (the settings after the change, references only), changed [field names]',
  CommitObserved:
    'source, branch, sha, parents, author {name, email}, authoredAt, committedAt, message, changedPaths, changedPathsTruncated, observedAt; once per new commit, oldest first; a new source records its head only',
  SourceFetchFailed: 'source, reason, at; first failure of a streak only',
  SourceFetchRecovered: 'source, at, failingSince',
  SourceHistoryRewritten:
    'source, branch, previousSha, newSha, at; the head no longer descends from the last observed commit',
  WebhookRejected:
    'source, provider (github|gitlab|gitea|unknown), reason, at; never the body; ten per source and minute',
  WebhookRejectionsAggregated:
    'source, count, reasons {reason: n}, since, until; the rejections of a minute past the first ten',
};

const applicationEvents = {
  ApplicationCreated: 'name, spec (normalised)',
  ApplicationChanged: 'name, spec; nothing is recorded when the spec is unchanged',
  ApplicationDeleted: 'name',
  ApplicationPinned: 'name, commit',
  ApplicationUnpinned: 'name',
  ApplicationSyncRequested: 'name, clusterId?',
};

const policyEvents = {
  ApplicationPolicySet:
    'on policy-<name>: application, policy {namespaces, clusterScopedKinds, namespacedKinds}; nothing is recorded when unchanged',
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
  DesiredStateRefused:
    'clusterId, reason (malformed|bad-signature|foreign-cluster|replayed|bundle-digest-mismatch|bundle-refused), via (push|pull|stored|bundle), message, at; nothing of it was applied',
};

const ok = (body: z.ZodType) => ({ 200: { description: 'OK', body } });

export const routes = {
  createRegistrationToken: {
    method: 'post',
    path: '/api/v1/registration-tokens',
    summary: 'Create a single-use registration token (shown once)',
    auth: 'operator',
    body: createRegistrationTokenSchema,
    responses: { 201: { description: 'Created', body: registrationTokenSchema } },
    errors: [400, 401, 403],
  },
  listClusters: {
    method: 'get',
    path: '/api/v1/clusters',
    summary: 'List live clusters',
    auth: 'viewer',
    query: listClustersQuerySchema,
    responses: ok(itemsOf(clusterSchema)),
    errors: [400, 401],
  },
  getCluster: {
    method: 'get',
    path: '/api/v1/clusters/{clusterId}',
    summary: 'One cluster, with the groups it belongs to',
    auth: 'viewer',
    params: clusterIdParamsSchema,
    responses: ok(clusterWithGroupsSchema),
    errors: [401, 404],
  },
  deregisterCluster: {
    method: 'delete',
    path: '/api/v1/clusters/{clusterId}',
    summary: 'Deregister: revokes its NATS credentials',
    auth: 'admin',
    params: clusterIdParamsSchema,
    responses: { 200: { description: 'Deregistered', body: clusterSchema } },
    errors: [401, 403, 404, 409],
  },
  setClusterLabels: {
    method: 'put',
    path: '/api/v1/clusters/{clusterId}/labels',
    summary: 'Replace the labels',
    auth: 'operator',
    params: clusterIdParamsSchema,
    body: setClusterLabelsSchema,
    responses: ok(clusterSchema),
    errors: [400, 401, 403, 404, 409],
  },
  getClusterState: {
    method: 'get',
    path: '/api/v1/clusters/{clusterId}/state',
    summary: 'What the cluster was meant to run and had applied at a past moment',
    auth: 'viewer',
    params: clusterIdParamsSchema,
    query: clusterStateQuerySchema,
    responses: ok(clusterStateAtSchema),
    errors: [400, 401, 404],
  },
  listClusterGroups: {
    method: 'get',
    path: '/api/v1/cluster-groups',
    summary: 'List cluster groups with members',
    auth: 'viewer',
    responses: ok(itemsOf(clusterGroupSchema)),
    errors: [401],
  },
  createClusterGroup: {
    method: 'post',
    path: '/api/v1/cluster-groups',
    summary: 'Create a cluster group',
    auth: 'operator',
    body: createClusterGroupSchema,
    responses: { 201: { description: 'Created', body: clusterGroupSchema } },
    errors: [400, 401, 403, 409],
  },
  getClusterGroup: {
    method: 'get',
    path: '/api/v1/cluster-groups/{name}',
    summary: 'One cluster group with members',
    auth: 'viewer',
    params: groupNameParamsSchema,
    responses: ok(clusterGroupSchema),
    errors: [401, 404],
  },
  deleteClusterGroup: {
    method: 'delete',
    path: '/api/v1/cluster-groups/{name}',
    summary: 'Delete a cluster group',
    auth: 'operator',
    params: groupNameParamsSchema,
    responses: { 204: { description: 'Deleted' } },
    errors: [401, 403, 404, 409],
  },
  listApiTokens: {
    method: 'get',
    path: '/api/v1/api-tokens',
    summary: 'List API tokens (never their secrets)',
    auth: 'admin',
    responses: ok(itemsOf(apiTokenSchema)),
    errors: [401, 403],
  },
  createApiToken: {
    method: 'post',
    path: '/api/v1/api-tokens',
    summary: 'Create an API token (shown once)',
    auth: 'admin',
    body: createApiTokenSchema,
    responses: { 201: { description: 'Created', body: createdApiTokenSchema } },
    errors: [400, 401, 403],
  },
  revokeApiToken: {
    method: 'delete',
    path: '/api/v1/api-tokens/{tokenId}',
    summary: 'Revoke an API token',
    auth: 'admin',
    params: tokenIdParamsSchema,
    responses: { 204: { description: 'Revoked' } },
    errors: [401, 403, 404],
  },
  listSources: {
    method: 'get',
    path: '/api/v1/sources',
    summary: 'List git sources with their fetch state',
    auth: 'viewer',
    responses: ok(itemsOf(sourceSchema)),
    errors: [401],
  },
  addSource: {
    method: 'post',
    path: '/api/v1/sources',
    summary: 'Add a git source (the hub mirrors and polls it)',
    auth: 'operator',
    body: addSourceSchema,
    responses: { 201: { description: 'Added', body: sourceSchema } },
    errors: [400, 401, 403, 409],
    events: sourceEvents,
  },
  getSource: {
    method: 'get',
    path: '/api/v1/sources/{name}',
    summary: 'One source: ok / failing since, last error, last observed commit',
    auth: 'viewer',
    params: sourceNameParamsSchema,
    responses: ok(sourceSchema),
    errors: [401, 404],
  },
  updateSource: {
    method: 'patch',
    path: '/api/v1/sources/{name}',
    summary: 'Change a source: branch, poll interval, credentials or webhook secret reference',
    auth: 'operator',
    params: sourceNameParamsSchema,
    body: updateSourceSchema,
    responses: ok(sourceSchema),
    errors: [400, 401, 403, 404],
    events: { SourceChanged: sourceEvents.SourceChanged },
  },
  removeSource: {
    method: 'delete',
    path: '/api/v1/sources/{name}',
    summary: 'Stop watching a source (its history stays in the log)',
    auth: 'operator',
    params: sourceNameParamsSchema,
    responses: { 204: { description: 'Removed' } },
    errors: [401, 403, 404, 409],
  },
  refreshSource: {
    method: 'post',
    path: '/api/v1/sources/{name}/refresh',
    summary: 'Fetch a source now (instead of at its next poll); answers once the fetch is recorded',
    auth: 'operator',
    params: sourceNameParamsSchema,
    responses: ok(refreshSourceResultSchema),
    errors: [401, 403, 404],
  },
  receiveWebhook: {
    method: 'post',
    path: '/api/v1/sources/{name}/webhook',
    summary: 'Push event from GitHub, GitLab or Gitea: verified, then an immediate fetch',
    description:
      'No bearer token: GitHub X-Hub-Signature-256 (HMAC-SHA256 of the raw body), Gitea X-Gitea-Signature ' +
      '(hex HMAC-SHA256), GitLab X-Gitlab-Token (the secret). A refusal is recorded as WebhookRejected.',
    auth: 'public',
    params: sourceNameParamsSchema,
    body: webhookBodySchema,
    responses: { 202: { description: 'Accepted; the fetch runs in the background', body: webhookAcceptedSchema } },
    errors: [401, 404, 503],
  },
  listApplications: {
    method: 'get',
    path: '/api/v1/applications',
    summary: 'List live applications',
    auth: 'viewer',
    query: listApplicationsQuerySchema,
    responses: ok(itemsOf(applicationSchema)),
    errors: [401],
  },
  getApplication: {
    method: 'get',
    path: '/api/v1/applications/{name}',
    summary: 'One application',
    auth: 'viewer',
    params: applicationNameParamsSchema,
    responses: ok(applicationSchema),
    errors: [401, 404],
  },
  applyApplication: {
    method: 'put',
    path: '/api/v1/applications/{name}',
    summary: 'Create or change an application from its file',
    description:
      'metadata.name must equal {name}; spec.source and every target group must exist. Nothing is recorded when ' +
      'the file is invalid (400 lists every issue) or unchanged.',
    auth: 'operator',
    params: applicationNameParamsSchema,
    body: {
      'application/json': applicationFileSchema,
      ...Object.fromEntries(
        yamlContentTypes.map((type) => [type, z.string().describe('The application file as YAML')]),
      ),
    },
    responses: {
      200: {
        description: 'Changed (outcome changed) or unchanged (outcome unchanged)',
        body: appliedApplicationSchema,
      },
      201: { description: 'Created (outcome created)', body: appliedApplicationSchema },
      400: { description: 'Invalid application', body: invalidApplicationErrorSchema },
    },
    errors: [400, 401, 403, 409, 413, 415],
    events: applicationEvents,
  },
  deleteApplication: {
    method: 'delete',
    path: '/api/v1/applications/{name}',
    summary: 'Delete an application: agents remove it (pruned where its policy says prune); its history stays',
    auth: 'operator',
    params: applicationNameParamsSchema,
    responses: { 204: { description: 'Deleted' } },
    errors: [401, 403, 404, 409],
  },
  pinApplication: {
    method: 'post',
    path: '/api/v1/applications/{name}/pin',
    summary: "Pin to a commit (rollback): stays until unpinned, and wins over the file's spec.pinnedCommit",
    auth: 'operator',
    params: applicationNameParamsSchema,
    body: pinApplicationSchema,
    responses: { 200: { description: 'Pinned', body: applicationSchema } },
    errors: [400, 401, 403, 404, 409],
  },
  getApplicationPolicy: {
    method: 'get',
    path: '/api/v1/applications/{name}/policy',
    summary:
      "What the application may create: allowed namespaces (besides its target's) and cluster-scoped and namespaced kinds; the default when no admin set one",
    auth: 'viewer',
    params: applicationNameParamsSchema,
    responses: { 200: { description: 'The policy in force', body: applicationPolicySchema } },
    errors: [400, 401],
  },
  setApplicationPolicy: {
    method: 'put',
    path: '/api/v1/applications/{name}/policy',
    summary:
      'Set what the application may create (admin). Enforced by the hub at render (RenderFailed naming the object and the rule) and again by the agent; the application may not exist yet',
    auth: 'admin',
    params: applicationNameParamsSchema,
    body: objectPolicySchema,
    responses: { 200: { description: 'The policy in force', body: applicationPolicySchema } },
    errors: [400, 401, 403],
    events: policyEvents,
  },
  unpinApplication: {
    method: 'post',
    path: '/api/v1/applications/{name}/unpin',
    summary: "End the operator's pin (409 when there is none)",
    auth: 'operator',
    params: applicationNameParamsSchema,
    responses: { 200: { description: 'Unpinned', body: applicationSchema } },
    errors: [401, 403, 404, 409],
  },
  requestSync: {
    method: 'post',
    path: '/api/v1/applications/{name}/sync',
    summary: 'Apply now, on every targeted cluster or on one (ApplicationSyncRequested)',
    auth: 'operator',
    params: applicationNameParamsSchema,
    body: requestSyncSchema,
    bodyOptional: true,
    responses: { 202: { description: 'Accepted', body: syncAcceptedSchema } },
    errors: [400, 401, 403, 404, 409],
  },
  getApplicationStatus: {
    method: 'get',
    path: '/api/v1/applications/{name}/status',
    summary: 'Status of an application on every cluster it is assigned to',
    auth: 'viewer',
    params: applicationNameParamsSchema,
    responses: ok(applicationStatusSchema),
    errors: [401, 404],
    events: statusEvents,
  },
  getApplicationClusterResources: {
    method: 'get',
    path: '/api/v1/applications/{name}/clusters/{cluster}/resources',
    summary: 'One application on one cluster, resource by resource: last sync result, health, drift, message',
    auth: 'viewer',
    params: applicationResourcesParamsSchema,
    responses: ok(applicationResourcesSchema),
    errors: [400, 401, 404],
  },
  getHistory: {
    method: 'get',
    path: '/api/v1/history',
    summary: 'The event log, filtered, newest or oldest first, paged by position',
    description:
      `With \`Accept: ${ndjsonMediaType}\` every match is streamed, one event per line, with no page limit ` +
      '(`limit` is ignored; the export stops at the head as it was when it began). A group filter means its ' +
      'members now. A commit prefix must be unique (400 ambiguous-commit otherwise).',
    auth: 'viewer',
    query: historyQuerySchema,
    responses: {
      200: {
        description: 'One page, or with the NDJSON media type every match',
        body: { 'application/json': historyPageSchema, [ndjsonMediaType]: historyEventSchema },
      },
    },
    errors: [400, 401, 404],
  },
  getDrift: {
    method: 'get',
    path: '/api/v1/drift',
    summary: 'Every cluster drifted now, per application and resource, with field paths, since when and mode',
    auth: 'viewer',
    query: driftQuerySchema,
    responses: ok(driftNowSchema),
    errors: [400, 401, 404],
  },
  getDriftHistory: {
    method: 'get',
    path: '/api/v1/drift/history',
    summary: 'Drift episodes overlapping [since, until), newest first, with how each ended and how long it lasted',
    auth: 'viewer',
    query: driftHistoryQuerySchema,
    responses: ok(driftEpisodesSchema),
    errors: [400, 401, 404],
  },
  verifyAudit: {
    method: 'get',
    path: '/api/v1/audit/verify',
    summary: "Walks the log's hash chain and names the first position where it breaks",
    auth: 'viewer',
    responses: ok(auditVerifyResultSchema),
    errors: [401],
  },
  getOpenApiDocument: {
    method: 'get',
    path: '/api/v1/openapi.json',
    summary: 'This document',
    auth: 'public',
    responses: { 200: { description: 'OpenAPI 3.1' } },
    errors: [],
  },
  liveness: {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process serves HTTP',
    auth: 'public',
    responses: ok(livenessSchema),
    errors: [],
  },
  readiness: {
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: Postgres, NATS, projections',
    auth: 'public',
    responses: {
      200: { description: 'Ready', body: readinessSchema },
      503: { description: 'Not ready', body: readinessSchema },
    },
    errors: [],
  },
  metrics: {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics (text exposition format): counts and latencies, no names',
    auth: 'public',
    responses: { 200: { description: 'Prometheus text exposition format 0.0.4' } },
    errors: [],
  },
} as const satisfies Record<string, Route>;

export type RouteId = keyof typeof routes;
