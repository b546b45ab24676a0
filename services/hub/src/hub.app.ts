import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { INestApplication, LogLevel } from '@nestjs/common';
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
  const app = await NestFactory.create(AppModule.forRoot(options), {
    logger: logLevels[options.config.FLOTILLA_HUB_LOG_LEVEL],
    abortOnError: false,
    // The sources webhook verifies signatures over the exact bytes received.
    rawBody: true,
  });
  app.use(rejectNulBytesInQuery);
  app.useGlobalPipes(new NulBytePipe());
  return app;
}
