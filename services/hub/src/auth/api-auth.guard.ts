import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError, roleAtLeast, type ApiRole } from '@flotilla/domain';
import { ApiTokenAuthenticator } from './api-token-authenticator';
import { PUBLIC_ROUTE, REQUIRED_ROLE, type Principal } from './principal';

/** Global guard: every route needs a valid token (viewer at least) unless marked public. */
@Injectable()
export class ApiAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: ApiTokenAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const required = this.reflector.getAllAndOverride<ApiRole>(REQUIRED_ROLE, targets) ?? 'viewer';
    const request = context
      .switchToHttp()
      .getRequest<{ headers: Record<string, string | undefined>; principal?: Principal }>();
    const principal = await this.authenticator.authenticate(request.headers['authorization']);
    if (!roleAtLeast(principal.role, required)) {
      throw new ForbiddenError(`this needs the ${required} role; ${principal.actor} is ${principal.role}`, {
        code: 'role-insufficient',
      });
    }
    request.principal = principal;
    return true;
  }
}
