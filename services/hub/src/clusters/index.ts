// The clusters capability: registration tokens, registration (executed by the NATS
// registration responder), labels and deregistration.
export { RegisterClusterCommand, type RegisterClusterResult } from './register-cluster/register-cluster.command';
export { RegistrationRefusedError } from './register-cluster/registration-refused.error';
export { ClustersModule } from './clusters.module';
