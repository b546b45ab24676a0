import { z } from 'zod';
import { timestampSchema } from './common.schemas';
import { commaListSchema, queryTimeSchema } from './query-time';

/** Page size of GET /history when the request names none, and the most one page may hold. */
export const historyPageLimitDefault = 100;
export const historyPageLimitMax = 1_000;
/** Rows per query when streaming an NDJSON export: bounds the hub's memory per export. */
export const historyExportBatchSize = 1_000;

const position = z
  .string()
  .regex(/^\d{1,15}$/, 'expected a log position (a non-negative integer)')
  .transform(Number);

/** Query of GET /api/v1/history; also the source of its OpenAPI parameters. */
export const historyQuerySchema = z
  .object({
    cluster: z.string().min(1).max(200).optional().describe('Cluster id'),
    group: z.string().min(1).max(200).optional().describe("Cluster group name: its current members' events"),
    application: z.string().min(1).max(200).optional(),
    source: z.string().min(1).max(200).optional().describe('Git source name'),
    commit: z
      .string()
      .regex(/^[0-9a-f]{4,64}$/i, 'expected a commit sha or a prefix of at least 4 hex digits')
      .optional()
      .describe('Full sha or a unique prefix'),
    type: commaListSchema.optional().describe('Event types, comma-separated'),
    actor: z.string().min(1).max(300).optional().describe('e.g. token:ops, agent:<clusterId>, system:git-poller'),
    since: queryTimeSchema.optional().describe('Recorded at or after (RFC 3339)'),
    until: queryTimeSchema.optional().describe('Recorded before (RFC 3339)'),
    order: z.enum(['newest', 'oldest']).optional().describe('Default newest first'),
    cursor: position.optional().describe('nextCursor of the previous page'),
    limit: z
      .string()
      .regex(/^\d+$/, 'expected a number')
      .transform(Number)
      .pipe(z.number().int().min(1).max(historyPageLimitMax))
      .optional()
      .describe(`Page size, default ${historyPageLimitDefault}, at most ${historyPageLimitMax}`),
  })
  .strict();

export type HistoryQuery = z.infer<typeof historyQuerySchema>;

/** With `Accept: application/x-ndjson`, GET /history streams every match, one event per line. */
export const ndjsonMediaType = 'application/x-ndjson';

export const historyEventSchema = z.object({
  position: z.number().int(),
  streamId: z.string(),
  version: z.number().int(),
  id: z.string().describe('UUID'),
  type: z.string(),
  schemaVersion: z.number().int().describe('data is the stored shape of this version'),
  data: z
    .record(z.string(), z.unknown())
    .describe('As stored, except hashes of credentials (secretHash, tokenHash, ...), shown as "[hidden]"'),
  metadata: z.looseObject({
    actor: z.string().describe('e.g. token:ops, agent:<clusterId>, system:git-poller'),
    correlationId: z.string().optional(),
    causationId: z.string().optional(),
    traceparent: z.string().optional(),
    tracestate: z.string().optional(),
  }),
  recordedAt: timestampSchema,
  hash: z.string(),
});

export const historyPageSchema = z.object({
  items: z.array(historyEventSchema),
  nextCursor: z.number().int().nullable().describe('cursor of the next page; null at the end'),
});

export type HistoryEvent = z.infer<typeof historyEventSchema>;
export type HistoryPage = z.infer<typeof historyPageSchema>;
