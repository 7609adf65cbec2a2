/** The command line was wrong: unknown syntax, a missing or malformed argument. Exit status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly code = 'usage';
}

/** A key that `get` was asked for does not exist. Exit status 1, nothing on stdout. */
export class KeyNotFoundError extends Error {
  override name = 'KeyNotFoundError';
  readonly code = 'not-found';
}

/** The command `holdfast lock NAME -- command` ran failed (or was stopped): exit with its status. */
export class ChildExitError extends Error {
  override name = 'ChildExitError';
  readonly code = 'child-exit';
  constructor(
    readonly exitStatus: number,
    message: string,
  ) {
    super(message);
  }
}

/** `cluster up` found its data directory held by another running process. Exit status 1. */
export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
  readonly code = 'data-dir-in-use';
}
