import { Module } from '@nestjs/common';
import { LivenessService } from './liveness.service';

/** Heartbeats in, ClusterConnected/ClusterDisconnected out. Needs NatsModule and a global EVENT_STORE provider. */
@Module({ providers: [LivenessService], exports: [LivenessService] })
export class LivenessModule {}
