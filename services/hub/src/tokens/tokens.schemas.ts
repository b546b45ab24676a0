import { z } from 'zod';
import { apiRoles } from '@flotilla/domain';

export const createApiTokenSchema = z
  .object({
    name: z.string().describe('DNS label; events record the actor as token:<name>'),
    role: z.enum(apiRoles),
  })
  .strict();
