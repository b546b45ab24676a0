import { z } from 'zod';

/** GET /audit/verify: the walk of the log's hash chain. */
export const auditVerifyResultSchema = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    checked: z.number().int(),
    headPosition: z.number().int(),
    headHash: z.string().describe('Compare with a copy kept elsewhere: truncation is invisible from inside'),
  }),
  z.object({
    ok: z.literal(false),
    checked: z.number().int(),
    brokenAt: z.number().int().describe('The first position where the chain breaks'),
    reason: z.string(),
  }),
]);

export type AuditVerifyResult = z.infer<typeof auditVerifyResultSchema>;
