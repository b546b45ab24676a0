// Status ingestion: agents' StatusReports from the FLOTILLA_STATUS JetStream stream become the
// contract's status events on each cluster's stream (StatusRejected when they cannot).
export { StatusModule } from './status.module';
export { StatusIngestionService } from './status-ingestion.service';
export {
  StatusIngester,
  STATUS_REJECTIONS_STREAM,
  type ClusterDirectory,
  type ClusterStanding,
  type IngestionStats,
  type StatusIngesterOptions,
} from './status-ingester';
export { ReadModelClusterDirectory } from './cluster-directory';
export { loadStatusConfig, STATUS_CONFIG, type StatusConfig } from './status.config';
export {
  decodeStatusReport,
  statusEventOf,
  statusEventTypes,
  StatusReportRejectedError,
  type StatusEvent,
  type StatusEventType,
  type StatusResourceRef,
} from './status-event.mapping';
