import { Command } from 'commander';
import type { AuditVerifyResult } from '@flotilla/api';
import { CliError } from '../errors';
import type { CommandContext } from './command-context';

/** The hub's log failed its hash-chain check: exit 1, so scripts and cron jobs notice. */
export class ChainBrokenError extends CliError {
  readonly exitCode = 1;
}

/** `flotilla audit verify`: the tamper check of the event log. */
export function auditCommand(ctx: CommandContext): Command {
  const audit = new Command('audit').description('audit the event log');
  audit
    .command('verify')
    .description("walk the log's hash chain; exit 1 when it is broken")
    .addHelpText(
      'after',
      '\nKeep the printed head hash somewhere else (a ticket, another system): removing the newest\n' +
        'events cannot be seen from inside the log, but a head hash that no longer matches can.',
    )
    .action(async (_options: unknown, command: Command) => {
      const result = await ctx.client(command).get<AuditVerifyResult>('/api/v1/audit/verify');
      ctx.print(command, result, () =>
        result.ok
          ? `ok: ${result.checked} events checked; head position ${result.headPosition}, head hash ${result.headHash}\n`
          : '',
      );
      if (!result.ok) {
        throw new ChainBrokenError(
          `the event log is broken at position ${result.brokenAt} (${result.checked} events checked before it): ${result.reason}`,
        );
      }
    });
  return audit;
}
