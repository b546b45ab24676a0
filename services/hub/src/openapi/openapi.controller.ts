import { Controller, Get } from '@nestjs/common';
import { PublicRoute } from '../auth/principal';
import { buildOpenApiDocument } from './openapi.document';

const document = buildOpenApiDocument();

@Controller('api/v1')
@PublicRoute()
export class OpenApiController {
  @Get('openapi.json')
  openapi() {
    return document;
  }
}
