import { RegisterClusterCommand } from './clusters';
import { fakeUserPublicKey, startHubTestApp, type HubTestApp } from './testing/hub-test-app';

/** The REST surface against the real Postgres: auth and roles, clusters, groups, error shapes. */
describe('hub REST API', () => {
  let hub: HubTestApp;
  let operator: string;
  let viewer: string;
  let keySeed = 100;

  beforeAll(async () => {
    hub = await startHubTestApp();
    operator = (await hub.request('POST', '/api/v1/api-tokens', { body: { name: 'ops', role: 'operator' } })).body
      .token;
    viewer = (await hub.request('POST', '/api/v1/api-tokens', { body: { name: 'watcher', role: 'viewer' } })).body
      .token;
  });
  afterAll(async () => {
    await hub?.close();
  });

  const registerCluster = async (name: string, labels: Record<string, string> = {}) => {
    const token = (await hub.request('POST', '/api/v1/registration-tokens', { token: operator, body: { labels } })).body
      .token as string;
    return hub.commands.execute(
      new RegisterClusterCommand(token, name, fakeUserPublicKey(keySeed++), '0.1.0', 'v1.20.2'),
    );
  };
  /** The background runner may lag a write made outside HTTP: wait (bounded) for the view. */
  const eventually = async <T>(read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const value = await read();
      if (ok(value) || Date.now() > deadline) return value;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  describe('authentication and roles', () => {
    it('refuses requests without a token or with a wrong one (401), naming no secret', async () => {
      const none = await hub.request('GET', '/api/v1/clusters', { token: null });
      expect(none).toMatchObject({ status: 401, body: { error: 'unauthorized', code: 'token-missing' } });
      const wrong = await hub.request('GET', '/api/v1/clusters', { token: `${operator.slice(0, -4)}AAAA` });
      expect(wrong).toMatchObject({ status: 401, body: { code: 'token-invalid' } });
      expect(JSON.stringify(wrong.body)).not.toContain(operator.slice(-20));
    });

    it('lets a viewer read but not write (403)', async () => {
      expect((await hub.request('GET', '/api/v1/clusters', { token: viewer })).status).toBe(200);
      const write = await hub.request('POST', '/api/v1/registration-tokens', { token: viewer, body: {} });
      expect(write).toMatchObject({ status: 403, body: { error: 'forbidden', code: 'role-insufficient' } });
    });

    it('lets an operator create tokens and groups but not deregister or manage API tokens', async () => {
      const { clusterId } = await registerCluster('auth-ops');
      expect((await hub.request('DELETE', `/api/v1/clusters/${clusterId}`, { token: operator })).status).toBe(403);
      expect(
        (await hub.request('POST', '/api/v1/api-tokens', { token: operator, body: { name: 'x', role: 'admin' } }))
          .status,
      ).toBe(403);
    });

    it('stops accepting a revoked token at once', async () => {
      const created = (
        await hub.request('POST', '/api/v1/api-tokens', { body: { name: 'short-lived', role: 'viewer' } })
      ).body;
      expect(created).toMatchObject({
        name: 'short-lived',
        role: 'viewer',
        token: expect.stringMatching(/^flt_api_[0-9a-f]{12}_/),
      });
      expect((await hub.request('GET', '/api/v1/clusters', { token: created.token })).status).toBe(200);
      expect((await hub.request('DELETE', `/api/v1/api-tokens/${created.tokenId}`)).status).toBe(204);
      expect((await hub.request('GET', '/api/v1/clusters', { token: created.token })).status).toBe(401);
      expect((await hub.request('DELETE', `/api/v1/api-tokens/${created.tokenId}`)).status).toBe(404);
      const stored = await hub.store.readStream(`api-token-${created.tokenId}`);
      expect(stored.map((e) => [e.type, e.metadata.actor])).toEqual([
        ['ApiTokenCreated', 'token:admin'],
        ['ApiTokenRevoked', 'token:admin'],
      ]);
      expect(JSON.stringify(stored)).not.toContain(created.token.slice(21));
      const listed = await hub.request('GET', '/api/v1/api-tokens');
      expect(listed.body.items.find((t: { tokenId: string }) => t.tokenId === created.tokenId)).toMatchObject({
        name: 'short-lived',
        role: 'viewer',
        createdBy: 'token:admin',
        revokedAt: expect.any(String),
      });
      expect(listed.body.items.find((t: { name: string }) => t.name === 'ops')).toMatchObject({
        role: 'operator',
        revokedAt: null,
      });
      // The hub's bootstrap token (FLOTILLA_HUB_ADMIN_TOKEN) works, so it is listed too.
      expect(listed.body.items[0]).toEqual({
        tokenId: 'bootstrap',
        name: 'admin',
        role: 'admin',
        createdAt: null,
        createdBy: 'config:FLOTILLA_HUB_ADMIN_TOKEN',
        revokedAt: null,
      });
      expect(JSON.stringify(listed.body)).not.toMatch(/secretHash|[0-9a-f]{64}/);
      expect((await hub.request('GET', '/api/v1/api-tokens', { token: operator })).status).toBe(403);
    });

    it('serves health, readiness and the OpenAPI document without a token', async () => {
      expect(await hub.request('GET', '/healthz', { token: null })).toEqual({ status: 200, body: { status: 'ok' } });
      const ready = await hub.request('GET', '/readyz', { token: null });
      expect(ready).toMatchObject({ status: 200, body: { status: 'ready', checks: [{ name: 'postgres', ok: true }] } });
      const doc = await hub.request('GET', '/api/v1/openapi.json', { token: null });
      expect(doc.status).toBe(200);
      expect(doc.body.openapi).toBe('3.1.0');
      expect(Object.keys(doc.body.paths)).toEqual(
        expect.arrayContaining(['/api/v1/clusters', '/api/v1/cluster-groups/{name}', '/api/v1/registration-tokens']),
      );
      expect(
        doc.body.paths['/api/v1/cluster-groups'].post.requestBody.content['application/json'].schema.required,
      ).toEqual(['name', 'selector']);
    });
  });

  describe('registration tokens', () => {
    it('shows the token once and stores only its hash, with the actor', async () => {
      const res = await hub.request('POST', '/api/v1/registration-tokens', {
        token: operator,
        body: { labels: { env: 'prod' }, ttlSeconds: 600 },
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        tokenId: expect.stringMatching(/^[0-9a-f]{12}$/),
        token: expect.stringMatching(/^flt_reg_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/),
        labels: { env: 'prod' },
      });
      expect(Date.parse(res.body.expiresAt) - hub.clock.now().getTime()).toBe(600_000);
      const [created] = await hub.store.readStream(`registration-token-${res.body.tokenId}`);
      expect(created!.metadata.actor).toBe('token:ops');
      expect(JSON.stringify(created)).not.toContain(res.body.token.slice(21));
    });

    it('defaults to a 1 h lifetime', async () => {
      const res = await hub.request('POST', '/api/v1/registration-tokens', { token: operator, body: {} });
      expect(Date.parse(res.body.expiresAt) - hub.clock.now().getTime()).toBe(3_600_000);
    });

    it('answers 400 naming the field for bad input', async () => {
      expect(
        await hub.request('POST', '/api/v1/registration-tokens', { token: operator, body: { ttlSeconds: -1 } }),
      ).toMatchObject({ status: 400, body: { error: 'validation', field: 'ttlSeconds' } });
      expect(
        await hub.request('POST', '/api/v1/registration-tokens', {
          token: operator,
          body: { labels: { 'bad key': 'x' } },
        }),
      ).toMatchObject({ status: 400, body: { field: 'labels.bad key' } });
      expect(
        await hub.request('POST', '/api/v1/registration-tokens', { token: operator, body: { surprise: 1 } }),
      ).toMatchObject({ status: 400 });
      expect(
        (await hub.request('POST', '/api/v1/registration-tokens', { token: operator, body: '{not json' })).status,
      ).toBe(400);
    });
  });

  describe('clusters', () => {
    it('lists and gets a registered cluster as pending until a heartbeat, then follows liveness', async () => {
      const { clusterId } = await registerCluster('list-me', { env: 'staging' });
      const listed = await eventually(
        () => hub.request('GET', '/api/v1/clusters', { token: viewer }),
        (r) => r.body.items.some((c: { id: string }) => c.id === clusterId),
      );
      expect(listed.body.items.find((c: { id: string }) => c.id === clusterId)).toMatchObject({
        name: 'list-me',
        labels: { env: 'staging' },
        state: 'pending',
        agentVersion: '0.1.0',
      });

      const at = new Date().toISOString();
      await hub.store.append(`cluster-${clusterId}`, [{ type: 'ClusterConnected', data: { clusterId, at } }], {
        expectedVersion: 'any',
        metadata: { actor: 'system:liveness' },
      });
      const connected = await eventually(
        () => hub.request('GET', `/api/v1/clusters/${clusterId}`, { token: viewer }),
        (r) => r.body.state === 'connected',
      );
      expect(connected.body).toMatchObject({ state: 'connected', lastSeenAt: at });

      await hub.store.append(
        `cluster-${clusterId}`,
        [{ type: 'ClusterDisconnected', data: { clusterId, lastSeenAt: at } }],
        { expectedVersion: 'any', metadata: { actor: 'system:liveness' } },
      );
      const offline = await eventually(
        () => hub.request('GET', `/api/v1/clusters/${clusterId}`, { token: viewer }),
        (r) => r.body.state === 'disconnected',
      );
      expect(offline.body.state).toBe('disconnected');
    });

    it('changes labels with the actor recorded, and filters the list by selector', async () => {
      const { clusterId } = await registerCluster('relabel-me', { env: 'dev' });
      const res = await hub.request('PUT', `/api/v1/clusters/${clusterId}/labels`, {
        token: operator,
        body: { labels: { env: 'prod', region: 'eu' } },
      });
      expect(res).toMatchObject({ status: 200, body: { id: clusterId, labels: { env: 'prod', region: 'eu' } } });
      const events = await hub.store.readStream(`cluster-${clusterId}`);
      expect(events.at(-1)).toMatchObject({
        type: 'ClusterLabelsChanged',
        data: { labels: { env: 'prod', region: 'eu' }, previous: { env: 'dev' } },
        metadata: { actor: 'token:ops' },
      });
      const filtered = await hub.request('GET', '/api/v1/clusters?selector=env=prod,region=eu', { token: viewer });
      expect(filtered.body.items.map((c: { id: string }) => c.id)).toContain(clusterId);
      const other = await hub.request('GET', '/api/v1/clusters?selector=region=us', { token: viewer });
      expect(other.body.items.map((c: { id: string }) => c.id)).not.toContain(clusterId);
      expect(
        await hub.request('PUT', `/api/v1/clusters/${clusterId}/labels`, {
          token: operator,
          body: { labels: { env: '-bad' } },
        }),
      ).toMatchObject({ status: 400, body: { field: 'labels.env' } });
    });

    it("filters the list by a selector in kubectl's syntax (in, notin, !key), 400 naming selector for a bad one", async () => {
      const eu = (await registerCluster('sel-eu', { fleet: 'sel', region: 'eu', tier: 'web' })).clusterId;
      const us = (await registerCluster('sel-us', { fleet: 'sel', region: 'us', tier: 'db' })).clusterId;
      const ap = (await registerCluster('sel-ap', { fleet: 'sel', region: 'ap', legacy: 'yes' })).clusterId;
      const none = (await registerCluster('sel-none', { fleet: 'sel' })).clusterId;
      const ids = async (selector: string) => {
        const res = await hub.request(
          'GET',
          `/api/v1/clusters?selector=${encodeURIComponent(`fleet=sel,${selector}`)}`,
          {
            token: viewer,
          },
        );
        expect(res.status).toBe(200);
        return (res.body.items as { id: string }[]).map((c) => c.id).sort();
      };
      const all = await eventually(
        () => hub.request('GET', '/api/v1/clusters?selector=fleet%3Dsel', { token: viewer }),
        (r) => r.body.items?.length === 4,
      );
      expect(all.body.items).toHaveLength(4);
      const sorted = (...values: string[]) => [...values].sort();
      expect(await ids('region in (eu,us)')).toEqual(sorted(eu, us));
      // NotIn also selects a cluster without the key, as in Kubernetes.
      expect(await ids('region notin (eu,us)')).toEqual(sorted(ap, none));
      expect(await ids('tier!=db,!legacy')).toEqual(sorted(eu, none));
      expect(await ids('region, region notin (us), tier')).toEqual([eu]);

      for (const [selector, field] of [
        ['region in (eu', 'selector'],
        ['env=prod,', 'selector'],
        ['region in (-eu)', 'selector.matchExpressions[0].values[0]'],
        ['bad key=x', 'selector'],
        ['-bad=x', 'selector.matchLabels.-bad'],
      ] as const) {
        const res = await hub.request('GET', `/api/v1/clusters?selector=${encodeURIComponent(selector)}`, {
          token: viewer,
        });
        expect({ selector, status: res.status, field: res.body.field }).toEqual({ selector, status: 400, field });
      }
      const syntax = await hub.request('GET', `/api/v1/clusters?selector=${encodeURIComponent('region in (eu')}`, {
        token: viewer,
      });
      expect(syntax.body.message).toBe('selector: expected "," or ")" in "region in (...)" (at character 14)');
    });

    it('answers 404 for unknown clusters', async () => {
      expect(await hub.request('GET', '/api/v1/clusters/c0000000000000000', { token: viewer })).toMatchObject({
        status: 404,
        body: { error: 'not-found' },
      });
      expect((await hub.request('GET', '/api/v1/clusters/nonsense', { token: viewer })).status).toBe(404);
      expect(
        (
          await hub.request('PUT', '/api/v1/clusters/c0000000000000000/labels', {
            token: operator,
            body: { labels: {} },
          })
        ).status,
      ).toBe(404);
      expect((await hub.request('DELETE', '/api/v1/clusters/c0000000000000000')).status).toBe(404);
    });

    it('deregisters (admin): ClusterDeregistered with the key, shown deregistered, hidden from the default list, never connected again', async () => {
      const { clusterId } = await registerCluster('goodbye');
      const res = await hub.request('DELETE', `/api/v1/clusters/${clusterId}`);
      expect(res).toMatchObject({ status: 200, body: { id: clusterId, state: 'deregistered' } });
      const events = await hub.store.readStream(`cluster-${clusterId}`);
      expect(events.at(-1)).toMatchObject({
        type: 'ClusterDeregistered',
        data: { clusterId, publicKey: expect.stringMatching(/^U/) },
        metadata: { actor: 'token:admin' },
      });
      expect(
        (await hub.request('GET', '/api/v1/clusters', { token: viewer })).body.items.map((c: { id: string }) => c.id),
      ).not.toContain(clusterId);
      expect(
        (await hub.request('GET', '/api/v1/clusters?includeDeregistered=true', { token: viewer })).body.items.map(
          (c: { id: string }) => c.id,
        ),
      ).toContain(clusterId);
      expect((await hub.request('DELETE', `/api/v1/clusters/${clusterId}`)).status).toBe(404);
      await hub.store.append(
        `cluster-${clusterId}`,
        [{ type: 'ClusterConnected', data: { clusterId, at: new Date().toISOString() } }],
        { expectedVersion: 'any', metadata: { actor: 'system:liveness' } },
      );
      await hub.request('PUT', `/api/v1/clusters/${clusterId}/labels`, { token: operator, body: { labels: {} } });
      expect((await hub.request('GET', `/api/v1/clusters/${clusterId}`, { token: viewer })).body.state).toBe(
        'deregistered',
      );
    });
  });

  describe('cluster groups', () => {
    it('computes membership by Kubernetes selector rules and follows label changes', async () => {
      const euProd = await registerCluster('grp-eu-prod', { env: 'prod', region: 'eu' });
      const usProd = await registerCluster('grp-us-prod', { env: 'prod', region: 'us' });
      const euStaging = await registerCluster('grp-eu-staging', { env: 'staging', region: 'eu' });
      const bare = await registerCluster('grp-bare', { team: 'x' });
      const ours = new Set([euProd, usProd, euStaging, bare].map((c) => c.clusterId));
      const members = (body: { members: { id: string }[] }) =>
        body.members
          .map((m) => m.id)
          .filter((id) => ours.has(id))
          .sort();

      const created = await hub.request('POST', '/api/v1/cluster-groups', {
        token: operator,
        body: {
          name: 'prod-not-eu',
          selector: {
            matchLabels: { env: 'prod' },
            matchExpressions: [{ key: 'region', operator: 'NotIn', values: ['eu'] }],
          },
        },
      });
      expect(created).toMatchObject({ status: 201, body: { name: 'prod-not-eu', createdBy: 'token:ops' } });
      expect(members(created.body)).toEqual([usProd.clusterId]);

      await hub.request('POST', '/api/v1/cluster-groups', {
        token: operator,
        body: { name: 'no-region', selector: { matchExpressions: [{ key: 'region', operator: 'DoesNotExist' }] } },
      });
      await hub.request('POST', '/api/v1/cluster-groups', {
        token: operator,
        body: { name: 'eu-any', selector: { matchExpressions: [{ key: 'region', operator: 'In', values: ['eu'] }] } },
      });
      expect(members((await hub.request('GET', '/api/v1/cluster-groups/no-region', { token: viewer })).body)).toEqual([
        bare.clusterId,
      ]);
      expect(members((await hub.request('GET', '/api/v1/cluster-groups/eu-any', { token: viewer })).body)).toEqual(
        [euProd.clusterId, euStaging.clusterId].sort(),
      );

      await hub.request('PUT', `/api/v1/clusters/${euStaging.clusterId}/labels`, {
        token: operator,
        body: { labels: { env: 'prod', region: 'asia' } },
      });
      expect(members((await hub.request('GET', '/api/v1/cluster-groups/prod-not-eu', { token: viewer })).body)).toEqual(
        [usProd.clusterId, euStaging.clusterId].sort(),
      );
      expect(members((await hub.request('GET', '/api/v1/cluster-groups/eu-any', { token: viewer })).body)).toEqual([
        euProd.clusterId,
      ]);
      expect(
        (await hub.request('GET', `/api/v1/clusters/${euStaging.clusterId}`, { token: viewer })).body.groups,
      ).toEqual(['prod-not-eu']);

      const list = await hub.request('GET', '/api/v1/cluster-groups', { token: viewer });
      expect(list.body.items.map((g: { name: string }) => g.name)).toEqual(
        expect.arrayContaining(['eu-any', 'no-region', 'prod-not-eu']),
      );
    });

    it('answers 409 for a duplicate, 400 naming the field for a bad selector, 404 for unknown', async () => {
      const body = { name: 'dup', selector: { matchLabels: { env: 'prod' } } };
      expect((await hub.request('POST', '/api/v1/cluster-groups', { token: operator, body })).status).toBe(201);
      expect(await hub.request('POST', '/api/v1/cluster-groups', { token: operator, body })).toMatchObject({
        status: 409,
        body: { error: 'conflict', code: 'cluster-group-exists' },
      });
      expect(
        await hub.request('POST', '/api/v1/cluster-groups', {
          token: operator,
          body: { name: 'bad', selector: { matchExpressions: [{ key: 'region', operator: 'In', values: [] }] } },
        }),
      ).toMatchObject({ status: 400, body: { field: 'selector.matchExpressions[0].values' } });
      expect(
        await hub.request('POST', '/api/v1/cluster-groups', {
          token: operator,
          body: { name: 'bad', selector: { matchExpressions: [{ key: 'r', operator: 'Gt' }] } },
        }),
      ).toMatchObject({
        status: 400,
        body: { field: 'selector.matchExpressions.0.operator' },
      });
      expect(
        await hub.request('POST', '/api/v1/cluster-groups', {
          token: operator,
          body: { name: 'Not A Label', selector: {} },
        }),
      ).toMatchObject({ status: 400, body: { field: 'name' } });
      expect((await hub.request('GET', '/api/v1/cluster-groups/none', { token: viewer })).status).toBe(404);
      expect((await hub.request('DELETE', '/api/v1/cluster-groups/none', { token: operator })).status).toBe(404);
    });

    it('deletes a group (operator), after which its name is free again', async () => {
      const body = { name: 'temp', selector: {} };
      expect((await hub.request('POST', '/api/v1/cluster-groups', { token: operator, body })).status).toBe(201);
      expect((await hub.request('DELETE', '/api/v1/cluster-groups/temp', { token: viewer })).status).toBe(403);
      expect((await hub.request('DELETE', '/api/v1/cluster-groups/temp', { token: operator })).status).toBe(204);
      expect((await hub.request('GET', '/api/v1/cluster-groups/temp', { token: viewer })).status).toBe(404);
      expect((await hub.request('POST', '/api/v1/cluster-groups', { token: operator, body })).status).toBe(201);
    });
  });
});
