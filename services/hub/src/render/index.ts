export { createApplicationRenderer, loadRenderConfig, type RenderConfig } from './render.config';
