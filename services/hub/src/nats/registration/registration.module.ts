import { Module } from '@nestjs/common';
import { RegistrationResponder } from './registration.responder';
import { RevocationService } from './revocation.service';

/**
 * Agents joining over NATS (the registration responder) and leaving (revocation of a
 * deregistered cluster's key). Needs NatsModule, the CQRS module with the clusters
 * capability's RegisterClusterHandler, and a global EVENT_STORE provider.
 */
@Module({
  providers: [RegistrationResponder, RevocationService],
  exports: [RevocationService],
})
export class RegistrationModule {}
