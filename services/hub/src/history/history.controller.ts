import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { parseInput } from '../common/validation';
import { HistoryReadModel } from './history.read-model';
import { historyQuerySchema, ndjsonMediaType } from '@flotilla/api';

/** Express's response: Node's, plus the helpers express adds. */
type Response = ServerResponse & { status(code: number): unknown; json(body: unknown): unknown };

/**
 * GET /api/v1/history: the log, filtered, a page at a time by position; with
 * `Accept: application/x-ndjson`, every match as one JSON event per line (no page limit,
 * `limit` ignored), written as the client reads so a slow client holds one batch in memory.
 */
@Controller('api/v1/history')
export class HistoryController {
  constructor(private readonly history: HistoryReadModel) {}

  @Get()
  async list(@Query() query: unknown, @Req() req: IncomingMessage, @Res() res: Response): Promise<void> {
    const input = parseInput(historyQuerySchema, query);
    const filter = await this.history.resolve(input);
    if (!(req.headers.accept ?? '').includes(ndjsonMediaType)) {
      res.json(await this.history.page(filter, input.limit));
      return;
    }
    res.status(200);
    res.setHeader('content-type', `${ndjsonMediaType}; charset=utf-8`);
    res.setHeader('cache-control', 'no-store');
    let closed = false;
    res.once('close', () => (closed = true));
    try {
      for await (const batch of this.history.export(filter)) {
        if (closed) return;
        const chunk = batch.map((event) => JSON.stringify(event)).join('\n') + '\n';
        if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
      }
      res.end();
    } catch (err) {
      // The status line is gone already: cutting the connection is the only honest signal
      // (a client that counts lines would otherwise take a truncated export as complete).
      res.destroy(err as Error);
    }
  }
}
