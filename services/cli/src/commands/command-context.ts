import type { Command } from 'commander';
import { stringify } from 'yaml';
import type { CliIo } from '../cli-io';
import {
  configFilePath,
  isReadableByOthers,
  readConfigFile,
  resolveConnection,
  type ConfigFile,
} from '../config/cli-config';
import { HubClient } from '../hub/hub-client';
import { colourEnabled, paint, type Colour } from '../output/format';
import { renderTable } from '../output/table';
import { cliVersion } from '../version';

export const outputFormats = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof outputFormats)[number];

/** The root command's options, readable from any subcommand. */
export interface GlobalOptions {
  hub?: string;
  token?: string;
  output: OutputFormat;
  config?: string;
}

/**
 * What every command needs: the resolved config and hub client, and output in the chosen
 * format. Data goes to stdout; notes, warnings and errors go to stderr, so that
 * `-o json | jq` and `$(flotilla api-tokens create ...)` see data only.
 */
export class CommandContext {
  private warnedAboutMode = false;

  constructor(readonly io: CliIo) {}

  globals(command: Command): GlobalOptions {
    return command.optsWithGlobals<GlobalOptions>();
  }

  configPath(command: Command): string {
    const flag = this.globals(command).config;
    return flag ? configFilePath({ FLOTILLA_CONFIG: flag }) : configFilePath(this.io.env);
  }

  readConfig(command: Command): ConfigFile {
    const file = this.configPath(command);
    const config = readConfigFile(file);
    if (config.token && !this.warnedAboutMode && isReadableByOthers(file)) {
      this.warnedAboutMode = true;
      this.note(`warning: ${file} holds a token and others may read it: chmod 600 ${file}`);
    }
    return config;
  }

  client(command: Command): HubClient {
    const globals = this.globals(command);
    const connection = resolveConnection(globals, this.io.env, this.readConfig(command));
    return new HubClient({
      ...connection,
      ...(this.io.fetch ? { fetch: this.io.fetch } : {}),
      userAgent: `flotilla-cli/${cliVersion()}`,
    });
  }

  format(command: Command): OutputFormat {
    return this.globals(command).output;
  }

  /** Prints `data` as JSON or YAML, or the table/text the command renders. */
  print(command: Command, data: unknown, human: () => string): void {
    const format = this.format(command);
    if (format === 'json') this.io.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
    else if (format === 'yaml') this.io.stdout.write(stringify(data));
    else this.io.stdout.write(human());
  }

  table(headers: string[], rows: string[][], colours?: (row: number, column: number) => Colour | undefined): string {
    const enabled = colourEnabled(this.io.stdout, this.io.env);
    return renderTable(headers, rows, {
      maxWidth: this.io.stdout.isTTY ? this.io.stdout.columns : undefined,
      ...(colours ? { paint: (text, row, column) => paint(text, colours(row, column), enabled) } : {}),
    });
  }

  /** A human note on stderr (never data). */
  note(text: string): void {
    this.io.stderr.write(`${text}\n`);
  }

  now(): Date {
    return this.io.now();
  }
}
