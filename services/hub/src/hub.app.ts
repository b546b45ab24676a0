import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { INestApplication, LogLevel } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule, type AppModuleOptions } from './app.module';
import { NulBytePipe, rejectNulBytesInQuery } from './common/nul-bytes';

const logLevels: Record<string, LogLevel[]> = {
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  log: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
};

/** Builds the hub's Nest application (not listening yet): used by main.ts and by the API tests. */
export async function createHubApp(options: AppModuleOptions): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(options), {
    logger: logLevels[options.config.FLOTILLA_HUB_LOG_LEVEL],
    abortOnError: false,
    // The sources webhook verifies signatures over the exact bytes received.
    rawBody: true,
  });
  app.use(rejectNulBytesInQuery);
  app.useGlobalPipes(new NulBytePipe());
  // The web console is static files that talk to /api/v1 like any client; the hub only hands
  // them out (no server-side rendering, no session). Without a build there is simply no page.
  const consoleDir = options.config.FLOTILLA_HUB_CONSOLE_DIR;
  if (existsSync(path.join(consoleDir, 'index.html'))) {
    app.useStaticAssets(consoleDir, { index: 'index.html', fallthrough: true, maxAge: 0 });
  }
  return app;
}
