import type { NodeId } from '@holdfast/raft';
import type { Logger } from 'pino';

/** A peer unreachable this long is logged (a restart or an election takes less)... */
export const UNREACHABLE_WARN_AFTER_MS = 2000;
/** ...and then at most this often while it stays unreachable. */
export const UNREACHABLE_WARN_EVERY_MS = 30_000;

/**
 * Tells when a peer stays unreachable: one warning once it has failed for
 * UNREACHABLE_WARN_AFTER_MS, then one per UNREACHABLE_WARN_EVERY_MS, and one line when it answers again.
 */
export class UnreachableLog {
  /** When the current run of failures started; undefined while the peer answers. */
  private failingSinceMs: number | undefined;
  private failures = 0;
  /** When this run of failures was last logged; undefined: not yet. */
  private warnedAtMs: number | undefined;
  /** What `changed` was last told; undefined before the first outcome. */
  private reported: boolean | undefined;

  constructor(
    private readonly peerId: NodeId,
    private readonly logger: Logger,
    private readonly changed: ((reachable: boolean) => void) | undefined,
  ) {}

  failed(address: string, error: string | undefined, nowMs: number): void {
    this.failingSinceMs ??= nowMs;
    this.report(false);
    this.failures += 1;
    const downMs = nowMs - this.failingSinceMs;
    if (downMs < UNREACHABLE_WARN_AFTER_MS) return;
    if (this.warnedAtMs !== undefined && nowMs - this.warnedAtMs < UNREACHABLE_WARN_EVERY_MS) return;
    this.warnedAtMs = nowMs;
    this.logger.warn({ peer: this.peerId, address, downMs, failures: this.failures, error }, 'peer unreachable');
  }

  answered(nowMs: number): void {
    this.report(true);
    if (this.failingSinceMs === undefined) return;
    if (this.warnedAtMs !== undefined) this.logger.info({ peer: this.peerId, downMs: nowMs - this.failingSinceMs }, 'peer reachable again');
    this.failingSinceMs = undefined;
    this.failures = 0;
    this.warnedAtMs = undefined;
  }

  private report(reachable: boolean): void {
    if (this.reported === reachable) return;
    this.reported = reachable;
    this.changed?.(reachable);
  }
}

