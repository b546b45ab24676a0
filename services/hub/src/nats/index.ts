// The hub's NATS side: connections and key authority (NatsModule), agent registration and
// revocation (RegistrationModule), heartbeats and liveness (LivenessModule).
export { NatsModule } from './nats.module';
export { RegistrationModule } from './registration/registration.module';
export { LivenessModule } from './liveness/liveness.module';
export { NatsAuthority } from './nats-authority';
export { NATS_CONNECTION } from './nats-connection';
export { NATS_CONFIG, loadNatsConfig, type NatsConfig } from './nats.config';
export { RevocationService } from './registration/revocation.service';
export { LivenessService } from './liveness/liveness.service';
export { natsDurations } from '../durations';
