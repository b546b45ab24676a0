import { Controller, Get } from '@nestjs/common';
import { buildOpenApiDocument } from '@flotilla/api';
import { PublicRoute } from '../auth/principal';

/** The document is generated from @flotilla/api's route table and schemas, the ones the controllers validate with. */
const document = buildOpenApiDocument();

@Controller('api/v1')
@PublicRoute()
export class OpenApiController {
  @Get('openapi.json')
  openapi() {
    return document;
  }
}
