export { createApplicationRenderer, loadRenderConfig, RenderConfigError, type RenderConfig } from './render.config';
