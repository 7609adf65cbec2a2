/**
 * The subset of pino's logger the storage layer uses; a pino instance fits as is.
 * Fields first, message second, as pino expects.
 */
export interface StorageLogger {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export const silentLogger: StorageLogger = {
  info() {},
  warn() {},
  error() {},
};
