// Every interval and timeout of the emulator, in one place.

/** Delay before a simulated controller writes status (Deployments ready, Jobs complete, PVCs bound). */
export const DEFAULT_CONTROLLER_DELAY_MS = 200;

/** How often an idle watch with allowWatchBookmarks=true gets a BOOKMARK (client-node's inactivity timeout is 30 s). */
export const WATCH_BOOKMARK_INTERVAL_MS = 10_000;

/** A watch with no timeoutSeconds ends after this, as the real server ends them after a random 30-60 min. */
export const WATCH_MAX_DURATION_MS = 30 * 60_000;

/** How long stop() waits for open watches and sockets to close before destroying them. */
export const SHUTDOWN_GRACE_MS = 1_000;
