/** DI token of the hub's system-account connection (account claims updates only). */
export const SYSTEM_NATS_CONNECTION = 'SYSTEM_NATS_CONNECTION';
