import fc from 'fast-check';
import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { routes, type Route } from '@flotilla/api';
import { statusKinds, statusRelaySubject, StatusReportSchema, encodeMessage, Health } from '@flotilla/contracts';
import { reports } from '../../services/hub/src/status/testing/status-reports';
import { startFleet, type Fleet } from '../e2e/registration-harness';
import { connectAsCluster, connectWithRetries, registerRaw, type ClusterCredentials } from './security-harness';

// Issue 10: property-based fuzzing of the hub's inputs. Every REST route of @flotilla/api's
// table (path parameters, query parameters, bodies), application files (YAML and JSON) and
// status reports from a registered cluster, all generated hostile: no answer may be a 5xx,
// the hub answers /healthz throughout, and the log gains nothing but recorded refusals.
jest.setTimeout(300_000);

const seed = Number(process.env.FLOTILLA_FUZZ_SEED ?? Date.now() % 1_000_000);
const restRuns = 1_400;
const applicationRuns = 500;
const statusRuns = 400;
const refusalTypes = new Set([
  'StatusRejected',
  'RegistrationRefused',
  'RegistrationRefusalsAggregated',
  'WebhookRejected',
  'WebhookRejectionsAggregated',
]);

/** Strings an attacker tries: control characters, NUL, unicode, traversal, long runs, injection. */
const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(
    '\u0000',
    'a\u0000b',
    '../../etc/passwd',
    '%2e%2e%2f',
    "' OR 1=1 --",
    '${cluster.name}',
    '\uD800',
    '\u202e',
    'x'.repeat(5000),
    '{{.}}',
    '*',
    '__proto__',
    'constructor',
    '-1',
    '1e309',
    'NaN',
  ),
);
const hostileJson = fc.oneof(
  fc.jsonValue({ maxDepth: 6 }),
  fc.dictionary(hostileString, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }),
  fc.integer({ min: 1, max: 200 }).map((depth) => JSON.parse('['.repeat(depth) + ']'.repeat(depth)) as unknown),
  fc.constant({ __proto__: { admin: true } }),
);

/** Hostile YAML application files: valid skeletons with broken parts, nesting, aliases, tags, junk. */
const hostileYaml = fc.oneof(
  fc.string({ maxLength: 400 }),
  fc
    .tuple(fc.integer({ min: 1, max: 2_000 }), fc.constantFrom('[', '{', '- ', '  ', '{a: ', '? '))
    .map(([n, unit]) => `apiVersion: flotilla.dev/v1\nkind: Application\nspec: ${unit.repeat(n)}`),
  fc
    .integer({ min: 1, max: 300 })
    .map((n) => `a: &a [x, x, x]\nb: [${Array.from({ length: n }, () => '*a').join(', ')}]\n`),
  fc
    .record({
      name: hostileString,
      source: hostileString,
      path: hostileString,
      ns: hostileString,
      tag: fc.constantFrom('', '!!binary ', '!!python/object ', '!custom ', '!!timestamp '),
    })
    .map(
      (r) => `apiVersion: flotilla.dev/v1
kind: Application
metadata:
  name: ${JSON.stringify(r.name)}
spec:
  source: ${r.tag}${JSON.stringify(r.source)}
  path: ${JSON.stringify(r.path)}
  targets:
    - selector: { matchLabels: { env: ${JSON.stringify(r.ns)} } }
      namespace: ${JSON.stringify(r.ns)}
`,
    ),
  fc.constant('---\na: 1\n---\nb: 2\n'),
  fc.constant('a: 1\na: 2\n'),
);

/** Percent-encoded; a lone surrogate goes as the invalid UTF-8 it would be (a hostile input itself). */
const encode = (value: string) => {
  const wellFormed = value.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '');
  return wellFormed === value ? encodeURIComponent(value) : `${encodeURIComponent(wellFormed)}%ED%A0%80`;
};

interface FuzzedRoute {
  method: Route['method'];
  path: string;
  queryKeys: string[];
}

function fillPath(route: FuzzedRoute, values: string[]): string {
  let i = 0;
  return route.path.replace(/\{[^}]+\}/g, () => encode(values[i++] ?? ''));
}

describe('fuzzing the hub’s inputs (hub process, NATS in operator mode)', () => {
  let fleet: Fleet;
  let cluster: ClusterCredentials;
  let nc: NatsConnection | undefined;
  let inputs = 0;
  const fiveHundreds: string[] = [];

  beforeAll(async () => {
    fleet = await startFleet();
    cluster = await connectWithRetries(() => registerRaw(fleet, 'fuzzed'));
    nc = await connectWithRetries(() => connectAsCluster(fleet, cluster));
  }, 150_000);
  afterAll(async () => {
    await nc?.close().catch(() => undefined);
    await fleet?.close();
  });

  const countsByType = async () => {
    const counts = new Map<string, number>();
    for (let after = 0; ;) {
      const page = await fleet.store.readAll({ after, limit: 1000 });
      for (const e of page) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
      if (page.length < 1000) return counts;
      after = page[page.length - 1]!.position;
    }
  };
  const send = async (method: string, url: string, body?: string, contentType = 'application/json') => {
    inputs++;
    const response = await fetch(`${fleet.hubUrl}${url}`, {
      method: method.toUpperCase(),
      headers: {
        authorization: `Bearer ${fleet.adminToken}`,
        ...(body !== undefined ? { 'content-type': contentType } : {}),
      },
      ...(body !== undefined ? { body } : {}),
      signal: AbortSignal.timeout(30_000),
    });
    await response.arrayBuffer();
    if (response.status >= 500) fiveHundreds.push(`${method.toUpperCase()} ${url.slice(0, 200)} -> ${response.status}`);
    return response.status;
  };
  const healthy = async () => {
    const started = performance.now();
    const response = await fetch(`${fleet.hubUrl}/healthz`, { signal: AbortSignal.timeout(5_000) });
    expect(response.status).toBe(200);
    return performance.now() - started;
  };

  it('answers every hostile input without a 5xx, records only refusals, and stays healthy', async () => {
    const before = await countsByType();
    const healthz: number[] = [];
    // Mutating routes that a valid body could make act (create a token, a group...) get a body
    // that always carries an unknown field: the schemas are strict, so it is refused.
    const routeList: FuzzedRoute[] = Object.values(routes as Record<string, Route>)
      .filter((r) => !r.path.endsWith('/webhook'))
      .map((r) => ({ method: r.method, path: r.path, queryKeys: r.query ? Object.keys(r.query.shape) : [] }));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routeList),
        fc.array(hostileString, { minLength: 3, maxLength: 3 }),
        fc.dictionary(hostileString, hostileString, { maxKeys: 4 }),
        hostileJson,
        async (route, params, junkQuery, body) => {
          const queryKeys = route.queryKeys;
          const query = new URLSearchParams();
          for (const [i, key] of queryKeys.entries()) query.set(key, params[i % params.length]!);
          for (const [k, v] of Object.entries(junkQuery)) query.set(k, v);
          const url = `${fillPath(route, params)}${query.size ? `?${query}` : ''}`;
          const mutating = route.method !== 'get';
          const sent =
            mutating && route.path !== '/api/v1/applications/{name}'
              ? JSON.stringify(
                  body !== null && typeof body === 'object' && !Array.isArray(body)
                    ? { ...body, 'fuzz-unknown-field': true }
                    : body,
                )
              : route.method === 'put'
                ? JSON.stringify(body)
                : undefined;
          const status = await send(route.method, url, sent);
          if (inputs % 100 === 0) healthz.push(await healthy());
          return status < 500;
        },
      ),
      { numRuns: restRuns, seed, endOnFailure: true },
    );
    await fc.assert(
      fc.asyncProperty(hostileString, hostileYaml, fc.boolean(), async (name, yaml, asJson) => {
        const status = asJson
          ? await send('put', `/api/v1/applications/${encode(name)}`, JSON.stringify({ yaml }))
          : await send('put', `/api/v1/applications/${encode(name)}`, yaml, 'application/yaml');
        if (inputs % 100 === 0) healthz.push(await healthy());
        return status < 500;
      }),
      { numRuns: applicationRuns, seed, endOnFailure: true },
    );
    // Status reports: random bytes, and real reports with hostile fields, from the cluster's own credentials.
    const js = jetstream(nc!);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ kind: 'health-changed', bytes })),
          fc.record({ application: hostileString, message: hostileString, id: fc.uuid() }).map((r) => {
            const report = reports.healthChanged(cluster.clusterId, r.application, Health.HEALTHY, r.id);
            if (report.report.case === 'healthChanged') report.report.value.message = r.message;
            return { kind: statusKinds.healthChanged, bytes: encodeMessage(StatusReportSchema, report) };
          }),
        ),
        async ({ kind, bytes }) => {
          inputs++;
          await js.publish(statusRelaySubject(cluster.clusterId, kind), bytes).catch(() => undefined);
          return true;
        },
      ),
      { numRuns: statusRuns, seed },
    );
    healthz.push(await healthy());
    const after = await countsByType();
    const gained = [...after].filter(([type, n]) => n !== (before.get(type) ?? 0) && !refusalTypes.has(type));
    process.stdout.write(
      `fuzz: ${inputs} inputs (seed ${seed}), ${fiveHundreds.length} 5xx, /healthz checked ${healthz.length} times (max ${Math.max(...healthz).toFixed(0)} ms), log gained ${[
        ...after,
      ]
        .map(([type, n]) => [type, n - (before.get(type) ?? 0)] as const)
        .filter(([, n]) => n > 0)
        .map(([type, n]) => `${n} ${type}`)
        .join(', ')}\n`,
    );
    expect(fiveHundreds).toEqual([]);
    expect(inputs).toBeGreaterThanOrEqual(2_000);
    // Healthy status reports with hostile text are recorded as what they are (HealthChanged of
    // the cluster itself): the log changes only by the cluster's own reports and refusals.
    expect(gained.filter(([type]) => type !== 'HealthChanged')).toEqual([]);
  });
});
