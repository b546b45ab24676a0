import { Controller, HttpCode, Param, Post, Req } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import type { WebhookAccepted } from '@flotilla/api';
import { PublicRoute } from '../../auth/principal';
import { ReceiveWebhookCommand } from './receive-webhook.command';
import type { WebhookHeaders } from './webhook-signature';

/** No bearer token here: git hosts authenticate with the source's own webhook secret. */
@Controller('api/v1/sources')
export class SourceWebhookController {
  constructor(private readonly commands: CommandBus) {}

  @Post(':name/webhook')
  @PublicRoute()
  @HttpCode(202)
  async receive(
    @Param('name') name: string,
    @Req() request: { headers: WebhookHeaders; rawBody?: Buffer },
  ): Promise<WebhookAccepted> {
    const result = await this.commands.execute(new ReceiveWebhookCommand(name, request.headers, request.rawBody));
    return { accepted: true, ...result };
  }
}
