// One emulated cluster: resolves API paths to resource types, runs the verbs with the
// API conventions (resourceVersion preconditions, generation, managedFields, dry run,
// finalizers, status subresource) and serves discovery, list and watch.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { ClusterStore, HistoryExpiredError, type ChangeEvent, type KubeObject } from './cluster-store';
import { applyDefaults } from './defaults';
import { deepEqual, isPlainObject } from './field-set';
import type { LabelSelector } from '@flotilla/manifests';
import { applyJsonPatch, JsonPatchError, mergePatch } from './json-patch';
import {
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
  SelectorParseError,
  type FieldRequirement,
} from './label-selector';
import { applyConfiguration, kubeTime, managerFromUserAgent, updateManagedFields } from './managed-fields';
import { apiVersionOf, BUILTIN_RESOURCES, storageKey, typesFromCrd, type ResourceType } from './resources';
import {
  alreadyExists,
  badRequest,
  conflictWithMessage,
  internalError,
  invalid,
  KubeApiError,
  methodNotSupported,
  notFound,
  pathNotFound,
  resourceExpired,
  staleConflict,
  successStatus,
  unsupportedMediaType,
  type FieldError,
} from './status-error';
import { validateDataKeys, validateLabels, validateName } from './validation';
import { WATCH_BOOKMARK_INTERVAL_MS, WATCH_MAX_DURATION_MS } from './durations';

export interface WriteOptions {
  dryRun?: boolean;
  /** Manager of the change; for non-apply writes defaults to the user agent's first word. */
  fieldManager?: string;
  userAgent?: string;
}

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
}

/** Matches the real server the conformance suite measures against, marked as the emulator. */
export const DEFAULT_VERSION: VersionInfo = { major: '1', minor: '20', gitVersion: 'v1.20.2+flotilla-emulator' };

const PROTECTED_NAMESPACES = new Set(['default', 'kube-system', 'kube-public']);
const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

interface Target {
  type: ResourceType;
  namespace?: string;
  name?: string;
  subresource?: string;
  watchPath: boolean;
}

type Obj = Record<string, unknown>;

function meta(o: Obj): Obj {
  if (!isPlainObject(o.metadata)) o.metadata = {};
  return o.metadata as Obj;
}

function groupResource(t: ResourceType): { group: string; resource: string } {
  return { group: t.group, resource: t.resource };
}

export class VirtualCluster {
  readonly store: ClusterStore;
  private readonly customTypes = new Map<string, ResourceType[]>();
  private readonly openWatches = new Set<() => void>();
  private clock: () => number;

  constructor(
    readonly name: string,
    opts: { historySize?: number; version?: VersionInfo; now?: () => number } = {},
  ) {
    this.store = new ClusterStore(name, opts.historySize);
    this.version = opts.version ?? DEFAULT_VERSION;
    this.clock = opts.now ?? Date.now;
    for (const ns of INITIAL_NAMESPACES) {
      this.create(
        this.typeOf('', 'namespaces')!,
        undefined,
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
        { fieldManager: 'kube-apiserver' },
      );
    }
  }

  readonly version: VersionInfo;

  // ---- resource types

  allTypes(): ResourceType[] {
    return [...BUILTIN_RESOURCES, ...[...this.customTypes.values()].flat()];
  }

  typeOf(group: string, resource: string, version?: string): ResourceType | undefined {
    return this.allTypes().find(
      (t) => t.group === group && t.resource === resource && (version === undefined || t.version === version),
    );
  }

  typeOfKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.allTypes().find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
  }

  // ---- verbs (also used in process by controllers and the simulated fleet)

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const o = this.store.get(storageKey(type), type.namespaced ? namespace : undefined, name);
    if (!o) throw notFound(groupResource(type), name);
    return this.present(type, o);
  }

  create(type: ResourceType, namespace: string | undefined, body: unknown, opts: WriteOptions = {}): KubeObject {
    const obj = this.checkBody(type, body, namespace);
    const m = meta(obj);
    if (!m.name && typeof m.generateName === 'string' && m.generateName) {
      m.name = `${m.generateName}${randomSuffix()}`;
    }
    const name = typeof m.name === 'string' ? m.name : '';
    this.validate(type, obj, name, true);
    const ns = type.namespaced ? namespace : undefined;
    if (type.namespaced) this.requireNamespace(ns!, true);
    if (this.store.get(storageKey(type), ns, name)) throw alreadyExists(groupResource(type), name);
    if (m.resourceVersion) {
      throw invalid({ group: type.group, kind: type.kind }, name, [
        {
          type: 'FieldValueForbidden',
          field: 'metadata.resourceVersion',
          detail: 'resourceVersion can not be set for Create requests',
        },
      ]);
    }
    return this.commit(type, undefined, obj, { ...opts, created: true });
  }

  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    opts: WriteOptions = {},
    subresource?: string,
  ): KubeObject {
    const obj = this.checkBody(type, body, namespace);
    const m = meta(obj);
    if (m.name !== undefined && m.name !== name) {
      throw badRequest(`the name of the object (${String(m.name)}) does not match the name on the URL (${name})`);
    }
    m.name = name;
    const ns = type.namespaced ? namespace : undefined;
    const live = this.store.get(storageKey(type), ns, name);
    if (!live) throw notFound(groupResource(type), name);
    if (
      m.resourceVersion !== undefined &&
      m.resourceVersion !== '' &&
      m.resourceVersion !== live.metadata.resourceVersion
    ) {
      throw staleConflict(groupResource(type), name);
    }
    return this.commit(type, live, obj, { ...opts, subresource });
  }

  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    rawBody: string,
    opts: WriteOptions & { force?: boolean },
    subresource?: string,
  ): { object: KubeObject; created: boolean } {
    const ns = type.namespaced ? namespace : undefined;
    const live = this.store.get(storageKey(type), ns, name);
    if (contentType === 'application/apply-patch+yaml')
      return this.apply(type, ns, name, live, rawBody, opts, subresource);
    if (opts.force !== undefined) {
      throw invalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', [
        { type: 'FieldValueForbidden', field: 'force', detail: 'may not be specified for non-apply patch' },
      ]);
    }
    if (!live) throw notFound(groupResource(type), name);
    let patchBody: unknown;
    try {
      patchBody = JSON.parse(rawBody);
    } catch (err) {
      throw new KubeApiError(400, 'BadRequest', `error decoding patch: ${(err as Error).message}`, undefined, {
        cause: err,
      });
    }
    const current = this.present(type, live);
    let patched: unknown;
    switch (contentType) {
      // Strategic merge patch is treated as a merge patch: the emulator's kinds are patched
      // through apply by the agent; lists are replaced whole rather than merged by key.
      case 'application/merge-patch+json':
      case 'application/strategic-merge-patch+json':
        if (!isPlainObject(patchBody))
          throw badRequest('json: cannot unmarshal into Go value of type map[string]interface {}');
        patched = mergePatch(current, patchBody);
        break;
      case 'application/json-patch+json':
        try {
          patched = applyJsonPatch(current, patchBody);
        } catch (err) {
          if (err instanceof JsonPatchError)
            throw new KubeApiError(422, 'Invalid', err.message, undefined, { cause: err });
          throw err;
        }
        break;
      default:
        throw unsupportedMediaType(contentType);
    }
    if (!isPlainObject(patched)) throw badRequest('the patch produced a non-object');
    const pm = meta(patched);
    if (pm.name !== name) throw badRequest(`metadata.name: Invalid value: "${String(pm.name)}": field is immutable`);
    if (pm.resourceVersion !== undefined && pm.resourceVersion !== live.metadata.resourceVersion) {
      throw staleConflict(groupResource(type), name);
    }
    return { object: this.commit(type, live, patched, { ...opts, subresource }), created: false };
  }

  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: { dryRun?: boolean; preconditions?: { uid?: string; resourceVersion?: string } } = {},
  ): Obj {
    const ns = type.namespaced ? namespace : undefined;
    const key = storageKey(type);
    const live = this.store.get(key, ns, name);
    if (!live) throw notFound(groupResource(type), name);
    const pre = opts.preconditions;
    if (pre?.uid && pre.uid !== live.metadata.uid) {
      throw conflictWithMessage(
        groupResource(type),
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(live.metadata.uid)}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== live.metadata.resourceVersion) {
      throw conflictWithMessage(
        groupResource(type),
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${String(live.metadata.resourceVersion)}`,
      );
    }
    const isNamespace = type.group === '' && type.resource === 'namespaces';
    if (isNamespace && PROTECTED_NAMESPACES.has(name)) {
      throw new KubeApiError(403, 'Forbidden', `namespaces "${name}" is forbidden: this namespace may not be deleted`, {
        name,
        kind: 'namespaces',
      });
    }
    const finalizers = Array.isArray(live.metadata.finalizers) ? live.metadata.finalizers : [];
    if (isNamespace || finalizers.length > 0) {
      // Deletion waits: the object is marked and returned, a controller (or the owner of
      // the finalizer) finishes it. Namespaces are finished by the namespace controller.
      if (live.metadata.deletionTimestamp) return this.present(type, live);
      const marked = structuredClone(live) as KubeObject;
      marked.metadata.deletionTimestamp = kubeTime(this.clock());
      marked.metadata.deletionGracePeriodSeconds = 0;
      if (isNamespace) (marked as Obj).status = { ...((marked as Obj).status as Obj), phase: 'Terminating' };
      if (opts.dryRun) return this.present(type, marked);
      return this.present(type, this.store.put(key, marked));
    }
    if (!opts.dryRun) {
      this.store.remove(key, ns, name);
      if (type.group === 'apiextensions.k8s.io' && type.resource === 'customresourcedefinitions')
        this.unregisterCrd(live);
    }
    const details: Obj = { name };
    if (type.group) details.group = type.group;
    details.kind = type.resource;
    details.uid = live.metadata.uid;
    return successStatus(details) as unknown as Obj;
  }

  /** Removes a namespace's objects and then the namespace itself (what the namespace controller does). */
  finishNamespaceDeletion(name: string): void {
    for (const t of this.allTypes()) {
      if (!t.namespaced || this.typeOf(t.group, t.resource) !== t) continue;
      for (const o of this.store.list(storageKey(t), name))
        this.store.remove(storageKey(t), name, o.metadata.name as string);
    }
    this.store.remove('/namespaces', undefined, name);
  }

  /** Writes status as a controller would, through the store so that watches see it; no-op if unchanged. */
  writeStatus(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    status: Obj,
    manager = 'kube-controller-manager',
  ): void {
    const live = this.store.get(storageKey(type), type.namespaced ? namespace : undefined, name);
    if (!live || deepEqual((live as Obj).status, status)) return;
    this.commit(type, live, { ...live, status }, { fieldManager: manager, subresource: 'status' });
  }

  list(type: ResourceType, namespace: string | undefined, query: URLSearchParams = new URLSearchParams()): Obj {
    const labels = this.labelSelector(query);
    const fields = this.fieldSelector(type, query);
    const limit = Number(query.get('limit') ?? 0);
    const cont = query.get('continue');
    let start = '';
    if (cont) {
      try {
        const token = JSON.parse(Buffer.from(cont, 'base64url').toString('utf8')) as { v?: string; start?: string };
        if (token.v !== 'meta.k8s.io/v1' || typeof token.start !== 'string') throw new Error('bad token');
        start = token.start;
      } catch (err) {
        throw new KubeApiError(
          400,
          'BadRequest',
          'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
          undefined,
          { cause: err },
        );
      }
    }
    const ns = type.namespaced ? namespace : undefined;
    const candidates = this.store.list(storageKey(type), ns).filter((o) => keyOf(type, o, ns) >= start);
    // Like the real server's paged reads from etcd: collect up to `limit` matches and offer
    // a continue token whenever keys remain after the last one, whether or not they match.
    const page: KubeObject[] = [];
    let scanned = 0;
    for (const o of candidates) {
      if (limit > 0 && page.length >= limit) break;
      scanned++;
      if (this.matches(type, o, labels, fields)) page.push(o);
    }
    const listMeta: Obj = { resourceVersion: String(this.store.resourceVersion) };
    if (limit > 0 && scanned < candidates.length && page.length > 0) {
      const last = page[page.length - 1]!;
      const token = { v: 'meta.k8s.io/v1', rv: this.store.resourceVersion, start: `${keyOf(type, last, ns)}\u0000` };
      listMeta.continue = Buffer.from(JSON.stringify(token)).toString('base64url');
      // The real server counts the rest only when no selector filters them.
      if (!labels.matchLabels && !labels.matchExpressions && fields.length === 0)
        listMeta.remainingItemCount = candidates.length - scanned;
    }
    return {
      kind: type.listKind,
      apiVersion: apiVersionOf(type),
      metadata: listMeta,
      items: page.map((o) => {
        const item = this.present(type, o) as Obj;
        if (type.custom) return item;
        const { apiVersion: _a, kind: _k, ...rest } = item;
        return rest;
      }),
    };
  }

  // ---- HTTP

  async handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    try {
      await this.route(req, res, path, query);
    } catch (err) {
      const apiErr = err instanceof KubeApiError ? err : internalError(err);
      if (!res.headersSent) sendJson(res, apiErr.code, apiErr.toStatus());
      else res.end();
    }
  }

  closeWatches(): void {
    for (const close of [...this.openWatches]) close();
  }

  private async route(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const method = req.method ?? 'GET';
    const segments = path.split('/').filter(Boolean);
    if (segments.length === 0)
      return sendJson(res, 200, { paths: ['/api', '/api/v1', '/apis', '/healthz', '/livez', '/readyz', '/version'] });
    const [head] = segments;
    if (head === 'version' && segments.length === 1) return sendJson(res, 200, this.versionBody());
    if ((head === 'healthz' || head === 'livez' || head === 'readyz') && method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      return void res.end('ok');
    }
    if (head === 'api') {
      if (segments.length === 1) {
        return sendJson(res, 200, {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [
            { clientCIDR: '0.0.0.0/0', serverAddress: req.socket.localAddress + ':' + req.socket.localPort },
          ],
        });
      }
      if (segments[1] !== 'v1') throw pathNotFound(path);
      if (segments.length === 2) return sendJson(res, 200, this.resourceList('', 'v1'));
      return this.serveResource(req, res, '', 'v1', segments.slice(2), query);
    }
    if (head === 'apis') {
      if (segments.length === 1) return sendJson(res, 200, this.groupList());
      const group = segments[1]!;
      if (segments.length === 2) {
        const g = this.groupList().groups.find((x) => x.name === group);
        if (!g) throw pathNotFound(path);
        return sendJson(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...g });
      }
      const version = segments[2]!;
      if (!this.allTypes().some((t) => t.group === group && t.version === version)) throw pathNotFound(path);
      if (segments.length === 3) return sendJson(res, 200, this.resourceList(group, version));
      return this.serveResource(req, res, group, version, segments.slice(3), query);
    }
    throw pathNotFound(path);
  }

  private resolve(group: string, version: string, rest: string[]): Target {
    let segs = rest;
    let watchPath = false;
    if (segs[0] === 'watch') {
      watchPath = true;
      segs = segs.slice(1);
    }
    const find = (resource: string): ResourceType | undefined => this.typeOf(group, resource, version);
    if (segs[0] === 'namespaces' && segs.length >= 3) {
      const type = find(segs[2]!);
      if (type?.namespaced && segs.length <= 5)
        return { type, namespace: segs[1], name: segs[3], subresource: segs[4], watchPath };
    }
    const type = find(segs[0] ?? '');
    if (!type || segs.length > 3) throw pathNotFound(rest.join('/'));
    return { type, name: segs[1], subresource: segs[2], watchPath };
  }

  private async serveResource(
    req: IncomingMessage,
    res: ServerResponse,
    group: string,
    version: string,
    rest: string[],
    query: URLSearchParams,
  ): Promise<void> {
    const target = this.resolve(group, version, rest);
    const { type, namespace, name, subresource } = target;
    const method = req.method ?? 'GET';
    if (subresource && !(subresource === 'status' && type.hasStatus)) throw pathNotFound(rest.join('/'));
    const dryRun = parseDryRun(query);
    const opts: WriteOptions = {
      dryRun,
      fieldManager: query.get('fieldManager') ?? undefined,
      userAgent: req.headers['user-agent'],
    };
    const isWatch = target.watchPath || query.get('watch') === 'true' || query.get('watch') === '1';

    if (method === 'GET' && name) return sendJson(res, 200, this.get(type, namespace, name));
    if (method === 'GET' && isWatch) return this.watch(req, res, type, namespace, query);
    if (method === 'GET') return sendJson(res, 200, this.list(type, namespace, query));
    if (method === 'POST' && !name) {
      const created = this.create(type, namespace, parseJsonBody(await readBody(req), type), opts);
      return sendJson(res, 201, created);
    }
    if (method === 'PUT' && name)
      return sendJson(
        res,
        200,
        this.update(type, namespace, name, parseJsonBody(await readBody(req), type), opts, subresource),
      );
    if (method === 'PATCH' && name) {
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      const force = query.has('force') ? query.get('force') === 'true' : undefined;
      const { object, created } = this.patch(
        type,
        namespace,
        name,
        contentType,
        await readBody(req),
        { ...opts, force },
        subresource,
      );
      return sendJson(res, created ? 201 : 200, object);
    }
    if (method === 'DELETE' && name) {
      const raw = await readBody(req);
      let preconditions: { uid?: string; resourceVersion?: string } | undefined;
      if (raw.trim()) {
        const body = parseJsonBody(raw, type) as { preconditions?: { uid?: string; resourceVersion?: string } };
        preconditions = body?.preconditions;
      }
      return sendJson(res, 200, this.delete(type, namespace, name, { dryRun, preconditions }));
    }
    if (method === 'DELETE' && !name && type.verbs.includes('deletecollection')) {
      const list = this.list(type, namespace, query) as { items: Obj[] };
      const deleted: Obj[] = [];
      for (const item of list.items) {
        const itemMeta = item.metadata as Obj;
        this.delete(type, itemMeta.namespace as string | undefined, itemMeta.name as string, { dryRun });
        deleted.push(item);
      }
      return sendJson(res, 200, { ...list, items: deleted.map((o) => (type.custom ? o : { ...o })) });
    }
    throw methodNotSupported(groupResource(type), method.toLowerCase());
  }

  private watch(
    req: IncomingMessage,
    res: ServerResponse,
    type: ResourceType,
    namespace: string | undefined,
    query: URLSearchParams,
  ): void {
    const labels = this.labelSelector(query);
    const fields = this.fieldSelector(type, query);
    const key = storageKey(type);
    const ns = type.namespaced ? namespace : undefined;
    const rvParam = query.get('resourceVersion');
    const bookmarks = query.get('allowWatchBookmarks') === 'true';
    const timeoutSeconds = Number(query.get('timeoutSeconds') ?? 0);

    let backlog: ChangeEvent[] = [];
    let expired: HistoryExpiredError | undefined;
    const initial = rvParam === null || rvParam === '' || rvParam === '0';
    if (!initial) {
      const rv = Number(rvParam);
      if (!Number.isInteger(rv) || rv < 0) throw badRequest(`invalid resource version: ${rvParam}`);
      try {
        backlog = this.store.changesSince(rv);
      } catch (err) {
        if (!(err instanceof HistoryExpiredError)) throw err;
        expired = err;
      }
    }
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    // Clients wait for the headers before they consider the watch open: send them now.
    res.flushHeaders();
    const write = (eventType: string, object: unknown): void => {
      res.write(`${JSON.stringify({ type: eventType, object })}\n`);
    };
    const inScope = (o: KubeObject): boolean => !ns || o.metadata.namespace === ns;
    const visible = (o: KubeObject | undefined): boolean =>
      o !== undefined && inScope(o) && this.matches(type, o, labels, fields);

    const emit = (e: ChangeEvent): void => {
      if (e.key !== key) return;
      const now = visible(e.object);
      if (e.type === 'MODIFIED') {
        const before = visible(e.previous);
        // A change that moves an object into or out of the selection is ADDED or DELETED for this watch.
        if (now && before) write('MODIFIED', this.present(type, e.object));
        else if (now) write('ADDED', this.present(type, e.object));
        else if (before) write('DELETED', this.present(type, e.object));
        return;
      }
      if (now) write(e.type, this.present(type, e.object));
    };

    if (expired) {
      // The real server answers 200 and then an ERROR event carrying the 410 Status.
      write('ERROR', resourceExpired(expired.message).toStatus());
      res.end();
      return;
    }
    if (initial) for (const o of this.store.list(key, ns)) if (visible(o)) write('ADDED', this.present(type, o));
    for (const e of backlog) emit(e);
    const unsubscribe = this.store.subscribe(emit);
    const timers: NodeJS.Timeout[] = [];
    const close = (): void => {
      unsubscribe();
      for (const t of timers) clearTimeout(t);
      this.openWatches.delete(close);
      if (!res.writableEnded) res.end();
    };
    this.openWatches.add(close);
    const duration = timeoutSeconds > 0 ? timeoutSeconds * 1000 : WATCH_MAX_DURATION_MS;
    timers.push(setTimeout(close, duration));
    if (bookmarks) {
      const tick = (): void => {
        write('BOOKMARK', {
          kind: type.kind,
          apiVersion: apiVersionOf(type),
          metadata: { resourceVersion: String(this.store.resourceVersion) },
        });
        timers.push(setTimeout(tick, WATCH_BOOKMARK_INTERVAL_MS).unref());
      };
      timers.push(setTimeout(tick, WATCH_BOOKMARK_INTERVAL_MS).unref());
    }
    // Not req's 'close': it fires as soon as the GET request has been read.
    res.on('close', close);
  }

  // ---- discovery

  private versionBody(): Obj {
    return {
      major: this.version.major,
      minor: this.version.minor,
      gitVersion: this.version.gitVersion,
      gitCommit: '0000000000000000000000000000000000000000',
      gitTreeState: 'clean',
      buildDate: '1970-01-01T00:00:00Z',
      goVersion: 'emulated',
      compiler: 'gc',
      platform: 'linux/amd64',
    };
  }

  private groupList(): {
    kind: string;
    apiVersion: string;
    groups: {
      name: string;
      versions: { groupVersion: string; version: string }[];
      preferredVersion: { groupVersion: string; version: string };
    }[];
  } {
    const groups = new Map<string, string[]>();
    for (const t of this.allTypes()) {
      if (!t.group) continue;
      const versions = groups.get(t.group) ?? [];
      if (!versions.includes(t.version)) versions.push(t.version);
      groups.set(t.group, versions);
    }
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups.entries()].map(([name, versions]) => ({
        name,
        versions: versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v })),
        preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0]! },
      })),
    };
  }

  private resourceList(group: string, version: string): Obj {
    const resources: Obj[] = [];
    for (const t of this.allTypes().filter((x) => x.group === group && x.version === version)) {
      const r: Obj = {
        name: t.resource,
        singularName: t.singular,
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: t.verbs,
      };
      if (t.shortNames?.length) r.shortNames = t.shortNames;
      if (t.categories?.length) r.categories = t.categories;
      resources.push(r);
      if (t.hasStatus)
        resources.push({
          name: `${t.resource}/status`,
          singularName: '',
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: ['get', 'patch', 'update'],
        });
    }
    const body: Obj = { kind: 'APIResourceList' };
    if (group) body.apiVersion = 'v1';
    body.groupVersion = group ? `${group}/${version}` : version;
    body.resources = resources;
    return body;
  }

  // ---- internals

  private present(type: ResourceType, o: KubeObject): KubeObject {
    // Custom resources are stored once and served at every served version (no conversion).
    if (type.custom && o.apiVersion !== apiVersionOf(type)) return { ...o, apiVersion: apiVersionOf(type) };
    return o;
  }

  private labelSelector(query: URLSearchParams): LabelSelector {
    try {
      return parseLabelSelector(query.get('labelSelector') ?? undefined);
    } catch (err) {
      if (err instanceof SelectorParseError)
        throw new KubeApiError(400, 'BadRequest', err.message, undefined, { cause: err });
      throw err;
    }
  }

  private fieldSelector(type: ResourceType, query: URLSearchParams): FieldRequirement[] {
    let reqs: FieldRequirement[];
    try {
      reqs = parseFieldSelector(query.get('fieldSelector') ?? undefined);
    } catch (err) {
      if (err instanceof SelectorParseError)
        throw new KubeApiError(400, 'BadRequest', err.message, undefined, { cause: err });
      throw err;
    }
    for (const r of reqs) {
      if (fieldValue(type, {} as KubeObject, r.field) === undefined) {
        throw badRequest(`"${r.field}" is not a known field selector: only "metadata.name", "metadata.namespace"`);
      }
    }
    return reqs;
  }

  private matches(type: ResourceType, o: KubeObject, labels: LabelSelector, fields: FieldRequirement[]): boolean {
    return (
      matchesLabels(labels, o.metadata.labels as Record<string, string> | undefined) &&
      matchesFields(fields, (f) => fieldValue(type, o, f))
    );
  }

  private checkBody(type: ResourceType, body: unknown, namespace: string | undefined): Obj {
    if (!isPlainObject(body)) throw badRequest(`the object provided is unrecognized (must be of type ${type.kind})`);
    const obj = structuredClone(body);
    if (obj.kind !== undefined && obj.kind !== type.kind) {
      throw badRequest(`the object provided is unrecognized (must be of type ${type.kind}): ${String(obj.kind)}`);
    }
    if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersionOf(type)) {
      throw badRequest(
        `the API version in the data (${String(obj.apiVersion)}) does not match the expected API version (${apiVersionOf(type)})`,
      );
    }
    obj.apiVersion = apiVersionOf(type);
    obj.kind = type.kind;
    const m = meta(obj);
    if (type.namespaced) {
      if (m.namespace !== undefined && m.namespace !== '' && m.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      m.namespace = namespace;
    } else {
      delete m.namespace;
    }
    return obj;
  }

  private validate(type: ResourceType, obj: Obj, name: string, creating: boolean): void {
    const m = meta(obj);
    const errors: FieldError[] = [];
    if (creating && !name) {
      errors.push({ type: 'FieldValueRequired', field: 'metadata.name', detail: 'name or generateName is required' });
    } else if (name) {
      errors.push(...validateName(name, type.nameRule));
    }
    errors.push(...validateLabels(m.labels));
    if (m.annotations !== undefined && !isPlainObject(m.annotations)) {
      errors.push({
        type: 'FieldValueInvalid',
        field: 'metadata.annotations',
        value: m.annotations,
        detail: 'must be a map of string to string',
      });
    }
    if (type.kind === 'ConfigMap' || type.kind === 'Secret') {
      errors.push(...validateDataKeys(obj.data, 'data'));
      if (type.kind === 'ConfigMap') errors.push(...validateDataKeys(obj.binaryData, 'binaryData'));
    }
    if (type.group === 'apiextensions.k8s.io' && type.resource === 'customresourcedefinitions')
      errors.push(...validateCrd(obj, name));
    if (type.kind === 'Deployment' && type.group === 'apps') errors.push(...validateWorkload(obj));
    if (errors.length > 0) throw invalid({ group: type.group, kind: type.kind }, name, errors);
  }

  private requireNamespace(namespace: string, creating: boolean): void {
    const ns = this.store.get('/namespaces', undefined, namespace);
    if (!ns) throw notFound({ group: '', resource: 'namespaces' }, namespace);
    if (creating && ns.metadata.deletionTimestamp) {
      throw new KubeApiError(
        403,
        'Forbidden',
        `unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          name: namespace,
          kind: 'namespaces',
          causes: [
            {
              reason: 'NamespaceTerminating',
              message: `namespace ${namespace} is being terminated`,
              field: 'metadata.namespace',
            },
          ],
        },
      );
    }
  }

  private apply(
    type: ResourceType,
    ns: string | undefined,
    name: string,
    live: KubeObject | undefined,
    rawBody: string,
    opts: WriteOptions & { force?: boolean },
    subresource: string | undefined,
  ): { object: KubeObject; created: boolean } {
    if (!opts.fieldManager) {
      throw invalid({ group: 'meta.k8s.io', kind: 'PatchOptions' }, '', [
        { type: 'FieldValueRequired', field: 'fieldManager', detail: 'is required for apply patch' },
      ]);
    }
    let config: unknown;
    try {
      config = parseYaml(rawBody);
    } catch (err) {
      throw new KubeApiError(400, 'BadRequest', `error decoding YAML: ${(err as Error).message}`, undefined, {
        cause: err,
      });
    }
    if (!isPlainObject(config)) throw badRequest('error decoding YAML: the applied configuration is not an object');
    if (config.apiVersion !== apiVersionOf(type) || config.kind !== type.kind) {
      throw badRequest(
        `the API version in the data (${String(config.apiVersion)}) and kind (${String(config.kind)}) do not match the request (${apiVersionOf(type)}, ${type.kind})`,
      );
    }
    const cm = meta(config);
    if (cm.name !== undefined && cm.name !== name)
      throw badRequest(`the name of the object (${String(cm.name)}) does not match the name on the URL (${name})`);
    if (cm.managedFields !== undefined) throw badRequest('metadata.managedFields must be nil');
    if (type.namespaced && cm.namespace !== undefined && cm.namespace !== ns) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    if (cm.resourceVersion !== undefined && live && cm.resourceVersion !== live.metadata.resourceVersion)
      throw staleConflict(groupResource(type), name);
    if (!live) {
      if (subresource) throw notFound(groupResource(type), name);
      if (type.namespaced) this.requireNamespace(ns!, true);
    }
    const applied = applyConfiguration({
      live,
      config: { ...config, metadata: { ...cm, name, ...(type.namespaced ? { namespace: ns } : {}) } },
      manager: opts.fieldManager,
      force: opts.force === true,
      apiVersion: apiVersionOf(type),
      schema: type.schema,
      now: this.clock(),
    });
    const next = applied.object;
    meta(next).managedFields = applied.managedFields;
    if (live && deepEqual(live.metadata.managedFields, applied.managedFields) && !applied.changed) {
      return { object: this.present(type, live), created: false };
    }
    if (!live) {
      const m = meta(next);
      m.name = name;
      this.validate(type, next, name, true);
      return {
        object: this.commit(type, undefined, next, { ...opts, created: true, managedFieldsDone: true }),
        created: true,
      };
    }
    return { object: this.commit(type, live, next, { ...opts, subresource, managedFieldsDone: true }), created: false };
  }

  /**
   * The common tail of every write: system metadata, status subresource rules, defaults,
   * generation, managedFields, finalizer completion, then the store (unless dry run).
   */
  private commit(
    type: ResourceType,
    live: KubeObject | undefined,
    candidate: Obj,
    opts: WriteOptions & { created?: boolean; subresource?: string; managedFieldsDone?: boolean },
  ): KubeObject {
    const now = this.clock();
    // As in v1.20, field ownership is computed on the defaulted request before the
    // strategy resets status (or everything but status, for /status): the owners of
    // status fields sent to the main resource are recorded even though they are dropped.
    const requested: Obj = structuredClone(candidate);
    applyDefaults(type.kind, type.group, requested);
    let next: Obj = structuredClone(requested);
    if (live && opts.subresource === 'status') {
      next = { ...structuredClone(live), status: next.status };
    } else if (type.hasStatus) {
      if (live) next.status = structuredClone((live as Obj).status);
      else delete next.status;
      applyDefaults(type.kind, type.group, next);
    }
    const m = meta(next);
    for (const o of [next, requested]) {
      const om = meta(o);
      if (live) {
        const lm = live.metadata;
        for (const f of [
          'uid',
          'creationTimestamp',
          'deletionTimestamp',
          'deletionGracePeriodSeconds',
          'generation',
          'namespace',
          'name',
        ]) {
          if (lm[f] !== undefined) om[f] = lm[f];
          else delete om[f];
        }
      }
    }
    if (!live) {
      m.uid = this.store.newUid();
      m.creationTimestamp = kubeTime(now);
      delete m.deletionTimestamp;
      delete m.deletionGracePeriodSeconds;
    }
    delete m.resourceVersion;
    delete m.selfLink;
    if (type.group === '' && type.kind === 'Service') this.assignClusterIp(next, live);
    if (type.group === 'apiextensions.k8s.io' && type.resource === 'customresourcedefinitions' && !live) {
      next.status = crdStatus(next, now);
    }
    if (type.hasGeneration) {
      if (!live) m.generation = 1;
      else if (!deepEqual(specOf(live), specOf(next))) m.generation = Number(live.metadata.generation ?? 0) + 1;
    }
    if (!opts.managedFieldsDone) {
      const manager = opts.fieldManager ?? managerFromUserAgent(opts.userAgent);
      m.managedFields = updateManagedFields({
        live,
        updated: opts.subresource === 'status' ? next : requested,
        manager,
        apiVersion: apiVersionOf(type),
        schema: type.schema,
        now,
        requested:
          live && opts.subresource !== 'status' ? (candidate.metadata as Obj | undefined)?.managedFields : undefined,
      });
    }
    if (Array.isArray(m.managedFields) && m.managedFields.length === 0) delete m.managedFields;
    orderMetadata(next);
    const ordered = orderTopLevel(next) as KubeObject;
    if (live && deepEqual(stripRv(live), stripRv(ordered))) return this.present(type, live);
    if (opts.dryRun) {
      if (live) ordered.metadata.resourceVersion = live.metadata.resourceVersion;
      return this.present(type, ordered);
    }
    const finalizers = Array.isArray(m.finalizers) ? m.finalizers : [];
    const key = storageKey(type);
    if (
      live &&
      m.deletionTimestamp &&
      finalizers.length === 0 &&
      !(type.group === '' && type.resource === 'namespaces')
    ) {
      // The last finalizer is gone: the deletion the object was waiting for happens now.
      return this.present(
        type,
        this.store.remove(key, type.namespaced ? (m.namespace as string) : undefined, m.name as string)!,
      );
    }
    const stored = this.store.put(key, ordered);
    if (type.group === 'apiextensions.k8s.io' && type.resource === 'customresourcedefinitions')
      this.registerCrd(stored);
    return this.present(type, stored);
  }

  private assignClusterIp(next: Obj, live: KubeObject | undefined): void {
    const spec = next.spec as Obj;
    const liveSpec = (live as Obj | undefined)?.spec as Obj | undefined;
    if (liveSpec?.clusterIP) {
      spec.clusterIP = liveSpec.clusterIP;
      spec.clusterIPs = liveSpec.clusterIPs ?? [liveSpec.clusterIP];
    } else if (spec.clusterIP !== 'None' && spec.type !== 'ExternalName' && !spec.clusterIP) {
      spec.clusterIP = this.store.allocateClusterIp();
      spec.clusterIPs = [spec.clusterIP];
    }
  }

  private registerCrd(crd: KubeObject): void {
    this.customTypes.set(crd.metadata.name as string, typesFromCrd(crd));
  }

  private unregisterCrd(crd: KubeObject): void {
    const types = this.customTypes.get(crd.metadata.name as string) ?? [];
    this.customTypes.delete(crd.metadata.name as string);
    const first = types[0];
    if (first) this.store.removeAll(storageKey(first));
  }
}

// ---- helpers

function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let out = '';
  for (let i = 0; i < 5; i++) out += alphabet[Math.floor(Math.random() * alphabet.length)];
  return out;
}

function keyOf(type: ResourceType, o: KubeObject, listNamespace: string | undefined): string {
  // Continue tokens hold the key relative to the listed prefix, as the real server's do.
  const name = o.metadata.name as string;
  if (!type.namespaced || listNamespace) return name;
  return `${o.metadata.namespace as string}/${name}`;
}

function specOf(o: Obj): unknown {
  const { metadata: _m, status: _s, ...rest } = o;
  return rest;
}

function stripRv(o: Obj): unknown {
  return { ...o, metadata: { ...(o.metadata as Obj), resourceVersion: undefined } };
}

const METADATA_ORDER = [
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'clusterName',
  'managedFields',
];

/** Field order as Go serialises ObjectMeta, so dumps compare line by line with a real server's. */
function orderMetadata(o: Obj): void {
  const m = o.metadata as Obj;
  const ordered: Obj = {};
  for (const k of METADATA_ORDER) if (m[k] !== undefined) ordered[k] = m[k];
  for (const k of Object.keys(m)) if (!(k in ordered) && m[k] !== undefined) ordered[k] = m[k];
  o.metadata = ordered;
}

function orderTopLevel(o: Obj): Obj {
  const { kind, apiVersion, metadata, ...rest } = o;
  return { kind, apiVersion, metadata, ...rest };
}

function fieldValue(type: ResourceType, o: KubeObject, field: string): string | undefined {
  const m = o.metadata ?? {};
  if (field === 'metadata.name') return (m.name as string) ?? '';
  if (field === 'metadata.namespace') return type.namespaced ? ((m.namespace as string) ?? '') : undefined;
  const extra: Record<string, (x: Obj) => unknown> = {};
  if (type.kind === 'Secret') extra.type = (x) => x.type;
  if (type.kind === 'Pod') {
    extra['status.phase'] = (x) => (x.status as Obj | undefined)?.phase;
    extra['spec.nodeName'] = (x) => (x.spec as Obj | undefined)?.nodeName;
  }
  if (type.kind === 'Event') {
    for (const f of ['kind', 'name', 'namespace', 'uid'])
      extra[`involvedObject.${f}`] = (x) => (x.involvedObject as Obj | undefined)?.[f];
    extra.reason = (x) => x.reason;
    extra.type = (x) => x.type;
  }
  const get = extra[field];
  if (!get) return undefined;
  const v = get(o);
  return v === undefined || v === null ? '' : String(v);
}

function validateCrd(obj: Obj, name: string): FieldError[] {
  const spec = (obj.spec ?? {}) as {
    group?: string;
    names?: { plural?: string; kind?: string };
    versions?: unknown[];
    scope?: string;
  };
  const errors: FieldError[] = [];
  if (!spec.group) errors.push({ type: 'FieldValueRequired', field: 'spec.group', detail: '' });
  if (!spec.names?.plural) errors.push({ type: 'FieldValueRequired', field: 'spec.names.plural', detail: '' });
  if (!spec.names?.kind) errors.push({ type: 'FieldValueRequired', field: 'spec.names.kind', detail: '' });
  if (spec.group && spec.names?.plural && name !== `${spec.names.plural}.${spec.group}`) {
    errors.push({
      type: 'FieldValueInvalid',
      field: 'metadata.name',
      value: name,
      detail: `must be spec.names.plural+"."+spec.group`,
    });
  }
  if (!Array.isArray(spec.versions) || spec.versions.length === 0)
    errors.push({
      type: 'FieldValueInvalid',
      field: 'spec.versions',
      value: null,
      detail: 'must have exactly one version marked as storage version',
    });
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster')
    errors.push({
      type: 'FieldValueNotSupported',
      field: 'spec.scope',
      value: spec.scope ?? '',
      detail: 'supported values: "Cluster", "Namespaced"',
    });
  return errors;
}

function validateWorkload(obj: Obj): FieldError[] {
  const spec = (obj.spec ?? {}) as {
    selector?: unknown;
    template?: { metadata?: { labels?: Record<string, string> }; spec?: { containers?: unknown[] } };
  };
  const errors: FieldError[] = [];
  if (!spec.selector) errors.push({ type: 'FieldValueRequired', field: 'spec.selector', detail: '' });
  if (!Array.isArray(spec.template?.spec?.containers) || spec.template!.spec!.containers!.length === 0) {
    errors.push({ type: 'FieldValueRequired', field: 'spec.template.spec.containers', detail: '' });
  }
  return errors;
}

function crdStatus(crd: Obj, now: number): Obj {
  const spec = (crd.spec ?? {}) as { names?: Obj; versions?: { name: string; storage?: boolean }[] };
  const time = kubeTime(now);
  return {
    conditions: [
      {
        type: 'NamesAccepted',
        status: 'True',
        lastTransitionTime: time,
        reason: 'NoConflicts',
        message: 'no conflicts found',
      },
      {
        type: 'Established',
        status: 'True',
        lastTransitionTime: time,
        reason: 'InitialNamesAccepted',
        message: 'the initial names have been accepted',
      },
    ],
    acceptedNames: spec.names ?? {},
    storedVersions: (spec.versions ?? []).filter((v) => v.storage).map((v) => v.name),
  };
}

function parseDryRun(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  if (values.length === 0) return false;
  for (const v of values) {
    if (v !== 'All') {
      throw invalid({ group: 'meta.k8s.io', kind: 'CreateOptions' }, '', [
        { type: 'FieldValueNotSupported', field: 'dryRun', value: v, detail: 'supported values: "All"' },
      ]);
    }
  }
  return true;
}

function parseJsonBody(raw: string, type: ResourceType): unknown {
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new KubeApiError(
      400,
      'BadRequest',
      `the object provided is unrecognized (must be of type ${type.kind}): couldn't get version/kind; json parse error: ${(err as Error).message}`,
      undefined,
      { cause: err },
    );
  }
}

/** Request bodies beyond this are refused, as the real server caps them at 3 MiB. */
const MAX_BODY_BYTES = 3 * 1024 * 1024;

export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new KubeApiError(413, 'RequestEntityTooLarge', 'the server has received a request that is too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
  });
  res.end(text);
}
