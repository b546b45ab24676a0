import { buildOpenApiDocument } from './openapi';
import { routes } from './routes';

describe('the generated OpenAPI document', () => {
  const document = buildOpenApiDocument() as {
    components: { schemas: Record<string, unknown> };
    paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>>;
  };

  it('has every $ref pointing at a schema it holds', () => {
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(10);
    expect(refs.filter((ref) => !(ref in document.components.schemas))).toEqual([]);
  });

  it('declares exactly the path parameters each path names', () => {
    for (const [path, operations] of Object.entries(document.paths)) {
      const named = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      for (const operation of Object.values(operations)) {
        const declared = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        expect({ path, params: declared.sort() }).toEqual({ path, params: named });
      }
    }
  });

  it('holds one operation per route of the table, and no method twice on a path', () => {
    const operations = Object.values(document.paths).flatMap((ops) => Object.keys(ops));
    expect(operations).toHaveLength(Object.keys(routes).length);
  });

  it('describes the error body on every error status and bearer auth on every non-public route', () => {
    const createToken = document.paths['/api/v1/registration-tokens']!.post as unknown as {
      security: unknown[];
      responses: Record<string, { content: { 'application/json': { schema: unknown } } }>;
    };
    expect(createToken.security).toEqual([{ bearer: [] }]);
    expect(createToken.responses['403']!.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Error',
    });
    expect((document.paths['/healthz']!.get as unknown as { security: unknown[] }).security).toEqual([]);
  });
});
