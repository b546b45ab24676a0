// The application status view: per cluster, what is desired and applied, sync, health and
// drift, projected from the log; served at GET /api/v1/applications/{name}/status.
export { ApplicationStatusModule } from './application-status.module';
export { ApplicationStatusReadModel, type ApplicationStatusView } from './application-status.read-model';
export { applicationStatusProjection } from './application-status.projection';
export { CreateApplicationStatusReadModel1764600000000 } from './create-application-status-read-model.migration';
export * from './application-status.rules';
