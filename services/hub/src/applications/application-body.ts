import type { IncomingMessage } from 'node:http';
import { ValidationError } from '@flotilla/domain';
import { applicationFileMaxBytes, yamlContentTypes } from '@flotilla/api';

export type RequestWithBody = IncomingMessage & { body?: unknown };

/**
 * The application file from a PUT: YAML text is read from the request stream here (the
 * hub's body parsers only know JSON), JSON arrives parsed. Either goes to parseApplicationSpec.
 */
export async function readApplicationBody(req: RequestWithBody): Promise<string | unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) return req.body;
  if (!(yamlContentTypes as readonly string[]).includes(type))
    throw new ValidationError(
      `content-type ${type ? `"${type}"` : '(none)'}: send the application file as application/yaml or application/json`,
      'content-type',
      { code: 'unsupported-content-type' },
    );
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > applicationFileMaxBytes) {
      // Stop reading; the rest of the upload is discarded with the connection.
      req.destroy();
      throw new ValidationError(`the application file is larger than ${applicationFileMaxBytes} bytes`, 'body', {
        code: 'body-too-large',
      });
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
