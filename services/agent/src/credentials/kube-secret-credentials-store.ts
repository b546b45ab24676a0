import type { CoreV1Api, V1Secret } from '@kubernetes/client-node';
import { CredentialsStoreError } from '../errors';
import type { AgentCredentials, CredentialsStore } from './agent-credentials';
import { parseStored } from './file-credentials-store';

const dataKey = 'credentials.json';

function statusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown; statusCode?: unknown }).code ?? (err as { statusCode?: unknown }).statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** Credentials in a Secret in the agent's own namespace (inside a cluster). */
export class KubeSecretCredentialsStore implements CredentialsStore {
  readonly description: string;

  constructor(
    private readonly core: CoreV1Api,
    private readonly namespace: string,
    private readonly name: string,
  ) {
    this.description = `secret ${namespace}/${name}`;
  }

  async load(): Promise<AgentCredentials | undefined> {
    let secret: V1Secret;
    try {
      secret = await this.core.readNamespacedSecret({ name: this.name, namespace: this.namespace });
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw new CredentialsStoreError(`cannot read ${this.description}: ${(err as Error).message}`, { cause: err });
    }
    const encoded = secret.data?.[dataKey];
    if (!encoded) throw new CredentialsStoreError(`${this.description} has no ${dataKey}; delete it to register again`);
    return parseStored(Buffer.from(encoded, 'base64').toString('utf8'), this.description);
  }

  async save(credentials: AgentCredentials): Promise<void> {
    const body: V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'flotilla-agent' },
      },
      type: 'Opaque',
      data: { [dataKey]: Buffer.from(JSON.stringify(credentials)).toString('base64') },
    };
    try {
      await this.core.createNamespacedSecret({ namespace: this.namespace, body });
    } catch (err) {
      if (statusCode(err) !== 409)
        throw new CredentialsStoreError(`cannot create ${this.description}: ${(err as Error).message}`, { cause: err });
      try {
        await this.core.replaceNamespacedSecret({ name: this.name, namespace: this.namespace, body });
      } catch (e) {
        throw new CredentialsStoreError(`cannot update ${this.description}: ${(e as Error).message}`, { cause: e });
      }
    }
  }
}
