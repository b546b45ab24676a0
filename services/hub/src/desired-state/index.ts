// Desired state on the hub: the reactor (commits and fleet changes to rendered bundles and
// DesiredStateAssigned), the bundle store, and the signed push and responders to agents.
export { DesiredStateModule } from './desired-state.module';
export { DesiredStateService } from './desired-state.service';
export { DesiredStateReactor, desiredStateReactorName, desiredStateReactorHandles } from './desired-state.reactor';
export { ToolBundleRenderer, type BundleRenderer, type RenderJob, type RenderedPair } from './bundle-renderer';
export { CreateDesiredState1764500000000 } from './create-desired-state.migration';
export {
  bundleMaxBytesDefault,
  DESIRED_STATE_CONFIG,
  loadDesiredStateConfig,
  type DesiredStateConfig,
} from './desired-state.config';
export { encodeDesiredStatePayload } from './desired-state.codec';
