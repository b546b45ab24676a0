// Applications: which manifests go to which clusters, and the operator's pins and sync requests.
export * from './application.decider';
export * from './invalid-application.error';
export * from './application-policy.decider';
