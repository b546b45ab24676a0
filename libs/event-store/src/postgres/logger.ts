/** Where the store and its runners report what they cannot throw (a failing projection, a lost LISTEN). */
export interface EventStoreLogger {
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

export const consoleLogger: EventStoreLogger = {
  warn: (message, context) => console.warn(message, context ?? ''),
  error: (message, context) => console.error(message, context ?? ''),
};
