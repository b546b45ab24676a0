import { Body, Controller, Get, Inject, Param, Put } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { objectPolicySchema, type ApplicationPolicyView } from '@flotilla/api';
import {
  applicationPolicyDecider,
  applicationPolicySetType,
  applicationPolicyStreamId,
  effectivePolicy,
  fold,
  validateDnsLabel,
} from '@flotilla/domain';
import type { EventStore } from '@flotilla/event-store';
import { CurrentPrincipal, RequireRole, type Principal } from '../../auth/principal';
import { parseInput } from '../../common/validation';
import { EVENT_STORE } from '../../event-store.provider';
import { SetApplicationPolicyCommand } from './set-application-policy.command';

/**
 * What an application may create. Read straight from its `policy-<name>` stream (one short
 * stream per name, read on demand: no read model to keep), so the answer is the log's.
 */
@Controller('api/v1/applications/:name/policy')
export class ApplicationPolicyController {
  constructor(
    private readonly commands: CommandBus,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  @Get()
  async get(@Param('name') name: string): Promise<ApplicationPolicyView> {
    const application = validateDnsLabel(name, 'name');
    const events = await this.store.readStream(applicationPolicyStreamId(application));
    const policy = effectivePolicy(fold(applicationPolicyDecider, events));
    const last = [...events].reverse().find((e) => e.type === applicationPolicySetType);
    return {
      application,
      policy: {
        namespaces: [...policy.namespaces],
        clusterScopedKinds: [...policy.clusterScopedKinds],
        namespacedKinds: [...policy.namespacedKinds],
      },
      set: last !== undefined,
      ...(last ? { setBy: last.metadata.actor, setAt: last.recordedAt.toISOString() } : {}),
    };
  }

  @Put()
  @RequireRole('admin')
  async set(
    @Param('name') name: string,
    @Body() body: unknown,
    @CurrentPrincipal() principal: Principal,
  ): Promise<ApplicationPolicyView> {
    const policy = parseInput(objectPolicySchema, body);
    await this.commands.execute(new SetApplicationPolicyCommand(principal.actor, name, policy));
    return this.get(name);
  }
}
