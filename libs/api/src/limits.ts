/**
 * The limits the REST contract states (the OpenAPI document shows them). The domain's
 * deciders enforce the very same numbers by importing them from here, so the document and
 * the rule cannot disagree.
 */
export const apiRoles = ['viewer', 'operator', 'admin'] as const;
export type ApiRole = (typeof apiRoles)[number];

export const pollIntervalSecondsDefault = 60;
/** Below this a fleet of sources would hammer the git hosts; above it, a day. */
export const pollIntervalSecondsMin = 5;
export const pollIntervalSecondsMax = 86_400;
export const branchDefault = 'main';

export const registrationTokenTtlDefaultMs = 60 * 60 * 1000;
/** Upper bound so a forgotten token does not stay usable for months. */
export const registrationTokenTtlMaxMs = 7 * 24 * 60 * 60 * 1000;
