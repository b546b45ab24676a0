// @flotilla/manifests: what an application is and what it renders to, in one pure library
// shared by the hub (renders every commit for every cluster) and the CLI (validates application
// files before sending them). The agent verifies bundle digests itself (its inbound bundle
// cache). No I/O: the caller reads git and passes file contents in.

export {
  applicationApiVersion,
  applicationKind,
  applicationSchema as applicationFileSchema,
  driftModes,
  findTarget,
  formatIssuePath,
  parseApplicationSpec,
  rendererKinds,
  type Application,
  type ChartReference,
  type DirectoryRules,
  type HelmSettings,
  type RendererKind,
  type ApplicationPatch,
  type ApplicationSpec,
  type ApplicationTarget,
  type DriftMode,
  type SyncPolicy,
} from './application-spec';
export {
  InvalidApplicationSpecError,
  InvalidJsonPointerError,
  JsonPatchError,
  ManifestsError,
  type ApplicationSpecIssue,
} from './errors';
export { applyJsonPatch, jsonPatchOps, type JsonPatchOperation } from './json-patch';
export { formatJsonPointer, isValidJsonPointer, parseJsonPointer } from './json-pointer';
export { canonicalJson, jsonEqual, type JsonObject, type JsonValue } from './json';
export { apiGroup, builtInClusterScopedKinds, groupKind } from './kinds';
export { matchesLabelSelector, type LabelSelector, type LabelSelectorRequirement } from './label-selector';
export { formatLabelSelector, InvalidLabelSelectorTextError, parseLabelSelectorText } from './label-selector-text';
export { applicationFileBounds, textBoundsIssues, valueBoundsIssues } from './input-bounds';
export { applyMergePatch } from './merge-patch';
export { redactSecrets, redacted } from './redact-secrets';
export {
  bundleDigest,
  InvalidRenderInputError,
  normaliseSourcePath,
  renderBundle,
  selectedByDirectoryRules,
  type Bundle,
  type GeneratedDocuments,
  type BundleCustomisation,
  type BundlePatch,
  type ManifestFile,
  type ManifestObject,
  type RenderError,
  type RenderErrorCode,
  type RenderInput,
  type RenderResult,
} from './render-bundle';
export { substituteVariables, type ClusterVariables } from './variables';
export {
  allowedNamespaces,
  checkObjectPolicy,
  defaultObjectPolicy,
  isObjectPolicyKind,
  isObjectPolicyNamespace,
  objectPolicyRules,
  type ObjectPolicy,
  type ObjectPolicyContext,
  type ObjectPolicyRule,
  type ObjectPolicyViolation,
  type ObjectScope,
} from './object-policy';
