import { Module } from '@nestjs/common';
import { RegistrationResponder } from './registration.responder';
import { RevocationService } from './revocation.service';
import { StatusRelayService } from '../status-relay/status-relay.service';

/**
 * Agents joining over NATS (the registration responder), leaving (revocation of a
 * deregistered cluster's key) and reporting (the status relay into the stream). Needs
 * NatsModule, the CQRS module with the clusters capability's RegisterClusterHandler, and a
 * global EVENT_STORE provider.
 */
@Module({
  providers: [RegistrationResponder, RevocationService, StatusRelayService],
  exports: [RevocationService],
})
export class RegistrationModule {}
