// The applications capability: application files (create, change, delete), operator pins,
// manual sync requests, and the read model of live applications.
export { ApplicationsModule } from './applications.module';
export { ApplicationsReadModel, type ApplicationView, type ApplicationPin } from './applications.read-model';
export { applicationsProjection } from './applications.projection';
export { CreateApplicationsReadModel1764324000000 } from './create-applications-read-model.migration';
export { loadApplication } from './application-stream';
