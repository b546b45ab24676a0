import { buildOpenApiDocument, routes } from '@flotilla/api';
import { LivenessModule, NatsModule, RegistrationModule } from '../nats';
import { StatusModule } from '../status';
import { startHubTestApp, type HubTestApp } from '../testing/hub-test-app';

/** An Express 5 router layer, as far as this test reads it. */
interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

/**
 * The OpenAPI document and the routes the hub's Nest app really serves agree in both
 * directions: a controller route missing from libs/api's route table, or a documented route
 * no controller serves, fails here (the lint check only proves the file is generated).
 */
describe('the OpenAPI document and the served routes', () => {
  let hub: HubTestApp;

  beforeAll(async () => {
    hub = await startHubTestApp();
  });
  afterAll(async () => {
    await hub?.close();
  });

  const served = (): string[] => {
    const express = hub.app.getHttpAdapter().getInstance() as { router: { stack: Layer[] } };
    return express.router.stack
      .flatMap((layer) =>
        Object.keys(layer.route?.methods ?? {}).map(
          (method) => `${method.toUpperCase()} ${layer.route!.path.replace(/:(\w+)/g, '{$1}')}`,
        ),
      )
      .sort();
  };

  it('documents every served route, and serves every documented one', async () => {
    const res = await hub.request('GET', '/api/v1/openapi.json', { token: null });
    expect(res.status).toBe(200);
    const documented = Object.entries(res.body.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    const servedRoutes = served();
    // The router holds the routes Nest registered; a handful is far too few to be them.
    expect(servedRoutes.length).toBeGreaterThanOrEqual(Object.keys(routes).length);
    expect(documented).toEqual(servedRoutes);
  });

  it('serves the document generated from libs/api', async () => {
    const res = await hub.request('GET', '/api/v1/openapi.json', { token: null });
    expect(res.body).toEqual(JSON.parse(JSON.stringify(buildOpenApiDocument())));
  });

  it('holds no routes in the NATS-side modules, which this REST-only app leaves out', () => {
    for (const module of [NatsModule, LivenessModule, RegistrationModule, StatusModule]) {
      expect(Reflect.getMetadata('controllers', module) ?? []).toEqual([]);
    }
  });
});
