import { z } from 'zod';

/**
 * What an agent keeps after registering. `seed` is the private half of its NATS user key:
 * generated here, never sent anywhere, stored only where the agent runs.
 */
export const agentCredentialsSchema = z.object({
  version: z.literal(1),
  clusterId: z.string().min(1),
  clusterName: z.string().min(1),
  /** NATS user nkey seed (`SU...`). */
  seed: z.string().regex(/^SU[A-Z2-7]{56}$/),
  userJwt: z.string().min(1),
  /** The hub's desired-state signing key, pinned at registration. */
  hubSigningPublicKey: z.string().min(1),
  registeredAt: z.string(),
});

export type AgentCredentials = z.infer<typeof agentCredentialsSchema>;

export interface CredentialsStore {
  /** Where the credentials live, for messages (never their content). */
  readonly description: string;
  load(): Promise<AgentCredentials | undefined>;
  save(credentials: AgentCredentials): Promise<void>;
}
