import { Command } from 'commander';
import { readConfigFile, requestTimeoutMs, resolveHubUrl, writeConfigFile } from '../config/cli-config';
import { HubApiError, LoginRefusedError, UsageError } from '../errors';
import { HubClient } from '../hub/hub-client';
import { promptSecret, readAll } from '../prompt';
import type { CommandContext } from './command-context';

/** `flotilla login`: checks the token against the hub, then saves hub URL and token (0600). */
export function loginCommand(ctx: CommandContext): Command {
  return new Command('login')
    .description('check an API token against the hub, then save the hub URL and the token in the config file')
    .option('--token-stdin', 'read the token from standard input')
    .addHelpText(
      'after',
      '\nThe hub URL comes from --hub, else FLOTILLA_HUB_URL, else the saved one; the token from --token,\n' +
        '--token-stdin or FLOTILLA_TOKEN, else it is asked for (not echoed).\n' +
        'Examples:\n  flotilla login --hub https://hub.example.com\n  pass show flotilla | flotilla login --hub https://hub.example.com --token-stdin',
    )
    .action(async (options: { tokenStdin?: boolean }, command: Command) => {
      const { io } = ctx;
      const globals = ctx.globals(command);
      const file = ctx.configPath(command);
      const existing = readConfigFile(file);
      const hubUrl = resolveHubUrl(globals, io.env, existing);
      if (!hubUrl) throw new UsageError('give the hub URL: flotilla login --hub https://hub.example.com');
      if (globals.token && options.tokenStdin)
        throw new UsageError('give the token with --token or --token-stdin, not both');
      let token: string | undefined = globals.token;
      if (!token && options.tokenStdin) token = (await readAll(io.stdin)).trim();
      if (!token) token = io.env.FLOTILLA_TOKEN || undefined;
      if (!token && io.stdin.isTTY)
        token = (await promptSecret(io.stdin, io.stderr, `API token for ${hubUrl}: `)).trim();
      if (!token) {
        throw new UsageError(
          'give the token: --token-stdin (e.g. `pass show flotilla | flotilla login --token-stdin`), --token or FLOTILLA_TOKEN',
        );
      }

      const client = new HubClient({
        hubUrl,
        token,
        requestTimeoutMs: requestTimeoutMs(io.env),
        ...(io.fetch ? { fetch: io.fetch } : {}),
      });
      try {
        // Any authenticated read proves the token; every role may list cluster groups.
        await client.get('/api/v1/cluster-groups');
      } catch (err) {
        if (err instanceof HubApiError && err.status === 401) throw new LoginRefusedError(hubUrl, { cause: err });
        throw err;
      }
      writeConfigFile(file, { ...existing, hub: hubUrl, token });
      ctx.print(command, { hub: hubUrl, configFile: file }, () => `Logged in to ${hubUrl} (saved in ${file})\n`);
    });
}
