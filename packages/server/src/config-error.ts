/** A setting refused at start: names the setting and why (its own module so tls.ts can throw it too). */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'invalid-config';
  constructor(
    readonly setting: string,
    reason: string,
  ) {
    super(`invalid setting ${setting}: ${reason}`);
  }
}
