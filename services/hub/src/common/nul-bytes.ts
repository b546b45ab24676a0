import type { IncomingMessage, ServerResponse } from 'node:http';
import { Injectable, type ArgumentMetadata, type PipeTransform } from '@nestjs/common';
import { ValidationError } from '@flotilla/domain';
import { toErrorBody } from '../errors/http-error.filter';

/**
 * No text the hub accepts may hold a NUL byte: Postgres refuses 0x00 in text and jsonb, so
 * one would surface as a 500 from deep inside a query. It is the caller's mistake, refused
 * at the edge with a 400 that names the parameter: query parameters by a middleware (some
 * controllers read the raw query), path parameters and bodies by a global pipe.
 */
const maxDepth = 64;

/** The path of the first string or key holding a NUL byte in `value`, or undefined. */
function nulBytePath(value: unknown, at: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? at : undefined;
  if (value === null || typeof value !== 'object' || depth > maxDepth) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const where = at ? `${at}.${key}` : key;
    if (key.includes('\u0000')) return at || '(key)';
    const found = nulBytePath(inner, where, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

const refusal = (field: string) => new ValidationError(`${field} must not contain a NUL byte (0x00)`, field);

@Injectable()
export class NulBytePipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'custom') return value;
    const field = nulBytePath(value, metadata.data ?? '');
    if (field !== undefined) throw refusal(field || metadata.type);
    return value;
  }
}

/** Express middleware: a NUL byte in a query parameter's name or value is answered 400 before routing. */
export function rejectNulBytesInQuery(req: IncomingMessage, res: ServerResponse, next: () => void): void {
  const query = req.url?.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
  if (query.toLowerCase().includes('%00') || query.includes('\u0000')) {
    let params: URLSearchParams;
    try {
      params = new URLSearchParams(query);
    } catch {
      params = new URLSearchParams();
    }
    for (const [key, value] of params) {
      if (key.includes('\u0000') || value.includes('\u0000')) {
        const body = toErrorBody(refusal(key.includes('\u0000') ? 'query' : key));
        res.statusCode = body.statusCode;
        res.setHeader('content-type', 'application/json; charset=utf-8');
        res.end(JSON.stringify(body));
        return;
      }
    }
  }
  next();
}
