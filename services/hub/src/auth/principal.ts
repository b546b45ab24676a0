import { createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import type { ApiRole } from '@flotilla/domain';

/** Who is calling: the actor string goes into every event's metadata. */
export interface Principal {
  /** `token:<name>` */
  actor: string;
  role: ApiRole;
  tokenId: string | null;
}

export const REQUIRED_ROLE = 'flotilla:required-role';
export const PUBLIC_ROUTE = 'flotilla:public-route';

/** The least role a route needs; routes without it need `viewer`. */
export const RequireRole = (role: ApiRole) => SetMetadata(REQUIRED_ROLE, role);
/** Health and the OpenAPI document need no token. */
export const PublicRoute = () => SetMetadata(PUBLIC_ROUTE, true);

export const CurrentPrincipal = createParamDecorator((_data: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<{ principal?: Principal }>().principal;
  if (!principal) throw new Error('no principal on the request: is the route public by mistake?');
  return principal;
});
