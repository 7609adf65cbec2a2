/**
 * The leader's lease clock. Which leases exist, their TTLs and keys are replicated state (the
 * state machine's lease table); when each one expires is not: only the leader counts, on its own
 * monotonic clock. A keepalive that reaches the leader starts a lease's TTL again; once a lease's
 * TTL has passed without one the leader proposes its expiry (a logged leaseRevoke, reason
 * 'expire'), so every member deletes its keys at the same revision.
 *
 * A new leader does not know when the old one last heard a keepalive: it gives every lease its
 * whole TTL again plus `extensionMs` (an election's time) before expiring any, so no lease expires
 * because a leader died. A keepalive is answered only after a read barrier (leadership confirmed
 * by a quorum, the state applied up to the commit index), so a deposed leader never answers one
 * after a new leader took over and a lease granted just before an election is never reported
 * missing.
 */
import type { ApplyResult, KvOperation, LeaseInfo } from '@holdfast/storage';
import type { NodeDriver } from './driver.js';
import type { Logger } from 'pino';
import { HoldfastError, InternalError, LeaseNotFoundError, NotLeaderError } from './errors.js';

export interface LeaseKeeperOptions {
  readonly driver: Pick<NodeDriver, 'role' | 'term' | 'readBarrier'>;
  readonly stateMachine: { leases(): LeaseInfo[]; lease(id: number): LeaseInfo | undefined; readonly leaseGeneration: number };
  /** Monotonic milliseconds (the driver's clock). */
  nowMs(): number;
  /** Proposes a lease command as the leader (RequestPath.proposeOperation). */
  propose(operation: KvOperation, deadlineMs: number): Promise<ApplyResult>;
  /** Wall-clock deadline for a proposal made now. */
  deadlineMs(): number;
  /** What a new leader adds to every lease's TTL before it expires any: its longest election timeout. */
  readonly extensionMs: number;
  readonly logger: Logger;
}

/** Expiries proposed in one tick at most, so a mass expiry does not flood the proposal queue. */
const expiriesPerTickMax = 128;
/** An expiry proposal with no answer after this long is proposed again (it changes nothing twice). */
const expiryRetryMs = 2000;

export class LeaseKeeper {
  /** While leading: when each lease expires (monotonic ms). Empty when not leading. */
  private readonly expiresAtMs = new Map<number, number>();
  /**
   * Leases whose expiry this leader proposed in its term, with when it last proposed it. Such a
   * lease takes no more keepalives (the expiry may commit at any moment, even after a proposal
   * that timed out), and its expiry is proposed again until the lease is gone.
   */
  private readonly expiring = new Map<number, number>();
  /** The term the clock was set up in; 0 = not leading. */
  private leadingTerm = 0;
  private leadingSinceMs = 0;
  private seenGeneration = -1;
  /**
   * No lease is due before this (monotonic ms): a lower bound of every expiry and retry, so most
   * ticks skip the scan. Lowered when a lease joins the clock; a keepalive only moves one later.
   */
  private nothingDueBeforeMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: LeaseKeeperOptions) {}

  /** Called on every tick: follows leadership and the lease table, proposes the expiries due. */
  tick(): void {
    if (!this.sync()) return;
    this.proposeDueExpiries(this.options.nowMs());
  }

  /**
   * Starts the lease's TTL again; returns the TTL. Throws NotLeaderError off the leader and
   * LeaseNotFoundError for a lease not held.
   */
  async keepAlive(id: number, deadlineMs: number): Promise<number> {
    await this.options.driver.readBarrier(deadlineMs);
    if (!this.sync()) throw new NotLeaderError('');
    const lease = this.requireLease(id);
    if (this.expiring.has(id)) throw new LeaseNotFoundError(id);
    this.expiresAtMs.set(id, this.options.nowMs() + lease.ttlMs);
    return lease.ttlMs;
  }

  /** The lease with the time left of it by this leader's clock. */
  async timeToLive(id: number, deadlineMs: number): Promise<{ lease: LeaseInfo; remainingMs: number }> {
    await this.options.driver.readBarrier(deadlineMs);
    if (!this.sync()) throw new NotLeaderError('');
    const lease = this.requireLease(id);
    const expiresAtMs = this.expiresAtMs.get(id) ?? this.options.nowMs() + lease.ttlMs;
    return { lease, remainingMs: Math.max(0, Math.round(expiresAtMs - this.options.nowMs())) };
  }

  /** Leases this leader counts (for status and tests). */
  get countedLeases(): number {
    return this.expiresAtMs.size;
  }

  private requireLease(id: number): LeaseInfo {
    const lease = this.options.stateMachine.lease(id);
    if (lease === undefined) throw new LeaseNotFoundError(id);
    return lease;
  }

  /** Brings the clock in line with leadership and the lease table. Returns whether this member leads. */
  private sync(): boolean {
    const { driver, stateMachine } = this.options;
    if (driver.role !== 'leader') {
      if (this.leadingTerm !== 0) this.stopCounting();
      return false;
    }
    const now = this.options.nowMs();
    if (this.leadingTerm !== driver.term) this.startCounting(now);
    if (this.seenGeneration !== stateMachine.leaseGeneration) this.followTable(now);
    return true;
  }

  private startCounting(now: number): void {
    this.expiresAtMs.clear();
    this.expiring.clear();
    this.leadingTerm = this.options.driver.term;
    this.leadingSinceMs = now;
    this.seenGeneration = -1;
    this.nothingDueBeforeMs = Number.NEGATIVE_INFINITY;
    this.options.logger.info({ term: this.leadingTerm, extensionMs: this.options.extensionMs }, 'leading: every lease gets its TTL again plus the extension');
  }

  private stopCounting(): void {
    this.expiresAtMs.clear();
    this.expiring.clear();
    this.leadingTerm = 0;
    this.seenGeneration = -1;
  }

  /**
   * Leases new to this leader's clock get their TTL from now, and never less than the TTL plus
   * the extension from when it began to lead (the old leader may have answered a keepalive for it
   * until then). Leases that ended leave the clock.
   */
  private followTable(now: number): void {
    const held = new Set<number>();
    const floorMs = this.leadingSinceMs + this.options.extensionMs;
    for (const lease of this.options.stateMachine.leases()) {
      held.add(lease.id);
      if (this.expiresAtMs.has(lease.id)) continue;
      const expiresAtMs = Math.max(now, floorMs) + lease.ttlMs;
      this.expiresAtMs.set(lease.id, expiresAtMs);
      this.nothingDueBeforeMs = Math.min(this.nothingDueBeforeMs, expiresAtMs);
    }
    for (const id of this.expiresAtMs.keys()) {
      if (held.has(id)) continue;
      this.expiresAtMs.delete(id);
      this.expiring.delete(id);
    }
    this.seenGeneration = this.options.stateMachine.leaseGeneration;
  }

  private proposeDueExpiries(now: number): void {
    if (now < this.nothingDueBeforeMs) return;
    let proposed = 0;
    let nextDueMs = Number.POSITIVE_INFINITY;
    for (const [id, expiresAtMs] of this.expiresAtMs) {
      const sentAtMs = this.expiring.get(id);
      const dueMs = sentAtMs === undefined ? expiresAtMs : sentAtMs + expiryRetryMs;
      if (dueMs > now || proposed >= expiriesPerTickMax) {
        nextDueMs = Math.min(nextDueMs, dueMs);
        continue;
      }
      this.expiring.set(id, now);
      nextDueMs = Math.min(nextDueMs, now + expiryRetryMs);
      proposed += 1;
      this.proposeExpiry(id);
    }
    // Past the per-tick limit: look again at the next tick.
    this.nothingDueBeforeMs = proposed >= expiriesPerTickMax ? now : nextDueMs;
  }

  private proposeExpiry(id: number): void {
    this.options.propose({ type: 'leaseRevoke', id, reason: 'expire' }, this.options.deadlineMs()).then(
      (result) => {
        if (result.outcome.type === 'leaseRevoke') this.options.logger.info({ lease: id, keysDeleted: result.outcome.keysDeleted }, 'lease expired');
      },
      (error: unknown) => {
        // Proposed again after expiryRetryMs while this member leads in this term (proposeDueExpiries).
        if (!(error instanceof HoldfastError) || error instanceof InternalError) {
          this.options.logger.warn({ lease: id, error: String(error) }, 'lease expiry proposal failed');
        }
      },
    );
  }
}
