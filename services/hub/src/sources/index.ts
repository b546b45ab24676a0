// The sources capability: git sources, the poller and webhook that observe their commits,
// and the read model of their state.
export { SourcesModule } from './sources.module';
export { SourcesReadModel, type SourceView } from './sources.read-model';
export { SourceObserver, type ObserveResult } from './observe-source/source-observer';
export {
  SourceFilesPort,
  SourceUnavailableError,
  type SourceFiles,
  type SourceLocation,
} from './read-files/source-files.port';
export { loadSourcesConfig, SOURCES_CONFIG, type SourcesConfig } from './sources.config';
export { CreateSourcesReadModel1764237600000 } from './create-sources-read-model.migration';
export { sourcesProjection } from './sources.projection';
