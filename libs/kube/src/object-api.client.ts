import {
  ApiException,
  HttpMethod,
  KubernetesObjectApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
  type RequestContext,
  type ResponseContext,
  type V1APIResource,
} from '@kubernetes/client-node';
import type { KubeObject, ResourceRef } from './resource-ref';

/**
 * client-node's generic object API, kept for what it does well (discovery with its cache,
 * auth, TLS, middleware) but with bodies as raw JSON both ways. Its typed (de)serializer
 * renames wire keys of built-in kinds (`x-kubernetes-preserve-unknown-fields` in a CRD
 * schema becomes `xKubernetesPreserveUnknownFields` and is then dropped from the request),
 * turns timestamps into Dates and drops fields its typings do not know; an apply must send
 * exactly what git says and a diff must see exactly what the server stores.
 */
export class RawObjectApi extends KubernetesObjectApi {
  static forConfig(kc: KubeConfig): RawObjectApi {
    return kc.makeApiClient(RawObjectApi);
  }

  /** Discovery for one kind; undefined when the server does not serve it (yet). */
  async discover(apiVersion: string, kind: string): Promise<V1APIResource | undefined> {
    try {
      return await this.resource(apiVersion, kind);
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw err;
    }
  }

  /** Drops cached discovery, so CRDs created or changed since are seen with their current scope. */
  forgetDiscovery(): void {
    this.apiVersionResourceCache = {};
  }

  collectionPath(apiVersion: string, resource: V1APIResource, namespace: string | undefined): string {
    const parts = [this.apiVersionPath(apiVersion)];
    if (resource.namespaced && namespace) parts.push('namespaces', encodeURIComponent(namespace));
    parts.push(resource.name);
    return parts.join('/');
  }

  objectPath(ref: ResourceRef, resource: V1APIResource): string {
    return `${this.collectionPath(ref.apiVersion, resource, ref.namespace)}/${encodeURIComponent(ref.name)}`;
  }

  async get(path: string): Promise<KubeObject | undefined> {
    const ctx = this.context(path, HttpMethod.GET);
    try {
      return (await this.requestPromise(ctx)) as unknown as KubeObject;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw err;
    }
  }

  /** The objects of a collection matching a label selector, and the resourceVersion to watch from. */
  async listCollection(
    collectionPath: string,
    labelSelector: string,
  ): Promise<{ resourceVersion: string; items: KubeObject[] }> {
    const ctx = this.context(collectionPath, HttpMethod.GET);
    ctx.setQueryParam('labelSelector', labelSelector);
    const list = (await this.requestPromise(ctx)) as unknown as {
      metadata?: { resourceVersion?: string };
      items?: KubeObject[];
    };
    return { resourceVersion: list.metadata?.resourceVersion ?? '', items: list.items ?? [] };
  }

  async apply(
    path: string,
    body: KubeObject,
    opts: { fieldManager: string; force: boolean; dryRun?: boolean },
  ): Promise<KubeObject> {
    const ctx = this.context(path, HttpMethod.PATCH);
    ctx.setHeaderParam('Content-Type', PatchStrategy.ServerSideApply);
    ctx.setQueryParam('fieldManager', opts.fieldManager);
    if (opts.force) ctx.setQueryParam('force', 'true');
    if (opts.dryRun) ctx.setQueryParam('dryRun', 'All');
    ctx.setBody(JSON.stringify(body));
    return (await this.requestPromise(ctx)) as unknown as KubeObject;
  }

  /** Deletes only if the object still has this uid: a same-named object created since survives (409). */
  async deleteIfUid(
    path: string,
    uid: string,
    propagationPolicy: 'Background' | 'Foreground' | 'Orphan',
  ): Promise<void> {
    const ctx = this.context(path, HttpMethod.DELETE);
    ctx.setHeaderParam('Content-Type', 'application/json');
    ctx.setBody(JSON.stringify({ apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy, preconditions: { uid } }));
    await this.requestPromise(ctx, 'V1Status');
  }

  private context(path: string, method: HttpMethod): RequestContext {
    const ctx = this.configuration.baseServer.makeRequestContext(path, method);
    ctx.setHeaderParam('Accept', 'application/json');
    return ctx;
  }

  // Untyped responses (objects) come back as the server sent them; typed ones (discovery,
  // Status) keep client-node's handling.
  protected override async processResponse<T extends KubernetesObject>(
    response: ResponseContext,
    type?: string,
  ): Promise<T> {
    if (type !== undefined) return super.processResponse(response, type) as Promise<T>;
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) {
      return JSON.parse(await response.body.text()) as T;
    }
    throw new ApiException(
      response.httpStatusCode,
      'Unsuccessful HTTP Request',
      await response.getBodyAsAny(),
      response.headers,
    );
  }
}

/** The API's own words for a failure: Status.reason and Status.message when it sent a Status. */
export function describeApiError(err: unknown): { reason: string; message: string; code?: number } {
  if (err instanceof ApiException) {
    let body: unknown = err.body;
    if (typeof body === 'string') {
      try {
        body = JSON.parse(body);
      } catch {
        /* not JSON: keep the text */
      }
    }
    if (typeof body === 'object' && body !== null) {
      const status = body as { reason?: string; message?: string };
      return {
        reason: status.reason || `Http${err.code}`,
        message: status.message || String(err.message),
        code: err.code,
      };
    }
    return {
      reason: `Http${err.code}`,
      message: typeof body === 'string' && body ? body : err.message,
      code: err.code,
    };
  }
  return { reason: 'Error', message: err instanceof Error ? err.message : String(err) };
}
