// A minimal OCI distribution server on loopback, in memory, for tests: only what `helm push`
// and `helm pull` need (the /v2/ check, blob uploads by POST/PATCH/PUT, HEAD/GET of blobs
// and manifests, PUT of manifests, the tag list). No authentication, no deletion, no
// referrers API: tests load it with the real `helm push --plain-http` and read it back with
// the real `helm pull`, so what the hub fetches is what a registry would serve.

import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface OciRegistry {
  /** `127.0.0.1:PORT`: the host of `oci://127.0.0.1:PORT/...` references. */
  readonly host: string;
  /** Every request line served (`GET /v2/charts/greeter/manifests/0.4.1`), in order. */
  readonly requests: string[];
  /** Blob downloads (GET of a blob) so far. */
  blobDownloads(): number;
  stop(): Promise<void>;
}

interface Repository {
  manifests: Map<string, { mediaType: string; body: Buffer }>;
  tags: Map<string, string>;
}

const digestOf = (body: Buffer) => `sha256:${createHash('sha256').update(body).digest('hex')}`;
const namePattern = '[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*';

export async function startOciRegistry(): Promise<OciRegistry> {
  const blobs = new Map<string, Buffer>();
  const uploads = new Map<string, Buffer[]>();
  const repositories = new Map<string, Repository>();
  const requests: string[] = [];
  let downloads = 0;
  const repository = (name: string): Repository => {
    let found = repositories.get(name);
    if (!found) repositories.set(name, (found = { manifests: new Map(), tags: new Map() }));
    return found;
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks));
      } catch (err) {
        res.writeHead(500).end((err as Error).message);
      }
    });
  });

  function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://registry');
    const method = req.method ?? 'GET';
    requests.push(`${method} ${url.pathname}`);
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    if (url.pathname === '/v2/' || url.pathname === '/v2') return void res.writeHead(200).end('{}');
    const match = new RegExp(`^/v2/(${namePattern})/(blobs/uploads|blobs|manifests|tags)(?:/(.*))?$`).exec(
      url.pathname,
    );
    if (!match) return notFound(res, 'NAME_UNKNOWN');
    const [, name, kind, rest] = match as unknown as [string, string, string, string | undefined];

    if (kind === 'blobs/uploads') {
      const finish = (id: string | undefined) => {
        const parts = [...(id ? (uploads.get(id) ?? []) : []), body];
        const content = Buffer.concat(parts);
        const digest = url.searchParams.get('digest');
        if (!digest || digestOf(content) !== digest) return error(res, 400, 'DIGEST_INVALID');
        if (id) uploads.delete(id);
        blobs.set(digest, content);
        res.writeHead(201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest }).end();
      };
      if (method === 'POST' && !rest) {
        // A monolithic upload in one request, or the start of one.
        if (url.searchParams.has('digest')) return finish(undefined);
        const id = randomUUID();
        uploads.set(id, []);
        return void res
          .writeHead(202, { Location: `/v2/${name}/blobs/uploads/${id}`, Range: '0-0', 'Docker-Upload-UUID': id })
          .end();
      }
      if (!rest || !uploads.has(rest)) return notFound(res, 'BLOB_UPLOAD_UNKNOWN');
      if (method === 'PATCH') {
        uploads.get(rest)!.push(body);
        const size = uploads.get(rest)!.reduce((n, b) => n + b.length, 0);
        return void res
          .writeHead(202, { Location: `/v2/${name}/blobs/uploads/${rest}`, Range: `0-${Math.max(0, size - 1)}` })
          .end();
      }
      if (method === 'PUT') return finish(rest);
      return error(res, 405, 'UNSUPPORTED');
    }

    if (kind === 'blobs') {
      const blob = rest ? blobs.get(rest) : undefined;
      if (!blob) return notFound(res, 'BLOB_UNKNOWN');
      const headers = {
        'Content-Length': String(blob.length),
        'Content-Type': 'application/octet-stream',
        'Docker-Content-Digest': rest!,
      };
      if (method === 'HEAD') return void res.writeHead(200, headers).end();
      if (method === 'GET') {
        downloads++;
        return void res.writeHead(200, headers).end(blob);
      }
      return error(res, 405, 'UNSUPPORTED');
    }

    if (kind === 'tags') {
      if (rest !== 'list' || method !== 'GET') return notFound(res, 'NAME_UNKNOWN');
      const tags = [...(repositories.get(name)?.tags.keys() ?? [])].sort();
      return void res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ name, tags }));
    }

    // manifests/<tag or digest>
    if (!rest) return notFound(res, 'MANIFEST_UNKNOWN');
    const repo = repository(name);
    if (method === 'PUT') {
      const digest = digestOf(body);
      if (rest.startsWith('sha256:') && rest !== digest) return error(res, 400, 'DIGEST_INVALID');
      const mediaType =
        (req.headers['content-type'] as string | undefined) ??
        ((JSON.parse(body.toString('utf8')) as { mediaType?: string }).mediaType || 'application/json');
      repo.manifests.set(digest, { mediaType, body });
      if (!rest.startsWith('sha256:')) repo.tags.set(rest, digest);
      return void res
        .writeHead(201, { Location: `/v2/${name}/manifests/${digest}`, 'Docker-Content-Digest': digest })
        .end();
    }
    const digest = rest.startsWith('sha256:') ? rest : repo.tags.get(rest);
    const manifest = digest ? repo.manifests.get(digest) : undefined;
    if (!manifest) return notFound(res, 'MANIFEST_UNKNOWN');
    const headers = {
      'Content-Type': manifest.mediaType,
      'Content-Length': String(manifest.body.length),
      'Docker-Content-Digest': digest!,
    };
    if (method === 'HEAD') return void res.writeHead(200, headers).end();
    if (method === 'GET') return void res.writeHead(200, headers).end(manifest.body);
    return error(res, 405, 'UNSUPPORTED');
  }

  function error(res: ServerResponse, status: number, code: string): void {
    res
      .writeHead(status, { 'Content-Type': 'application/json' })
      .end(JSON.stringify({ errors: [{ code, message: code }] }));
  }
  function notFound(res: ServerResponse, code: string): void {
    error(res, 404, code);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    host: `127.0.0.1:${port}`,
    requests,
    blobDownloads: () => downloads,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
