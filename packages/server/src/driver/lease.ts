/**
 * The leader's read lease (--read-mode lease): while it holds one, a leader serves linearizable
 * reads from its own state after applying up to its commit index, without a quorum round
 * (etcd-io/raft's ReadOnlyLeaseBased, with its clock assumption made explicit).
 *
 * Why it is safe. A lease starts at time T (this member's monotonic clock) when a read round the
 * leader began at or after T is confirmed by a quorum: each voter of that quorum took the round's
 * heartbeat after T and, with CheckQuorum, ignores every campaign that is not a leadership
 * transfer until it has counted electionTicks ticks of its own clock, which takes at least
 * (electionTicks - 2) tick lengths of that clock (one tick may fire just after the reset, and a
 * ticker delivers whole ticks, so one more may be due early). Every quorum that could elect
 * another leader overlaps that one, so no other leader exists before
 *   T + (electionTicks - 2) * tickMs / (1 + drift)          (real time)
 * when every clock's rate is within `drift` of real time. The leader's lease ends at
 *   T + durationMs on its own clock, at most T + durationMs / (1 - drift) in real time,
 * so durationMs = (electionTicks - 2) * tickMs * (1 - drift) / (1 + drift) never overlaps.
 *
 * What ends it: losing leadership or a new term (it is tied to the term it was confirmed in),
 * and starting a leadership transfer (the transferee's campaign passes the followers' check at
 * once): no lease is held again in that term. What keeps the followers' side true: a member
 * counts the ticks that elapsed before a message before that message (driver feedCore), and
 * after a restart it answers no campaign for an election timeout (it may have acknowledged a
 * round just before it went down).
 */
import type { NodeId } from '@holdfast/raft';
import { assert } from '../errors.js';

export interface LeaseOptions {
  /** Ticks of the election timeout and the length of one tick (ms). */
  readonly electionTicks: number;
  readonly tickMs: number;
  /** The bound on any member's clock-rate error, as a fraction (0.05 = 5 %). */
  readonly clockDriftMax: number;
}

/** How long a lease lasts after the start of the read round that confirmed it, on this member's clock. */
export function leaseDurationMs(options: LeaseOptions): number {
  assert(options.clockDriftMax >= 0 && options.clockDriftMax < 1, () => `clock drift bound ${options.clockDriftMax} outside [0, 1)`);
  const followersWaitMs = (options.electionTicks - 2) * options.tickMs;
  return (followersWaitMs * (1 - options.clockDriftMax)) / (1 + options.clockDriftMax);
}

export class ReadLease {
  /**
   * The lease ends at this time (monotonic), for `term` only. Invariant: `expiresAtMs` is at most
   * durationMs after the start of a read round confirmed in `term` while this member led it.
   */
  private expiresAtMs = Number.NEGATIVE_INFINITY;
  private term = 0;
  /** A term in which this member began a leadership transfer: no lease is held in it any more. */
  private transferTerm = -1;
  /** A lease renewal (an internal read round) is under way. */
  renewing = false;

  constructor(readonly durationMs: number) {
    assert(durationMs >= 0, () => `lease duration ${durationMs} ms is negative`);
  }

  /** A read round this member began at `startedAtMs` while leading `term` was confirmed by a quorum. */
  confirmed(options: { startedAtMs: number; term: number }): void {
    if (options.term === this.transferTerm) return;
    const expiresAtMs = options.startedAtMs + this.durationMs;
    if (options.term !== this.term) {
      this.term = options.term;
      this.expiresAtMs = expiresAtMs;
    } else {
      this.expiresAtMs = Math.max(this.expiresAtMs, expiresAtMs);
    }
  }

  /** This member stopped leading (or its term changed). */
  end(): void {
    this.expiresAtMs = Number.NEGATIVE_INFINITY;
  }

  /** This member began handing leadership to `to` in `term`. */
  transferStarted(term: number, _to: NodeId): void {
    this.transferTerm = Math.max(this.transferTerm, term);
    this.end();
  }

  /** Milliseconds left at `nowMs` to a leader of `term` (0: no lease). */
  remainingMs(term: number, nowMs: number): number {
    if (term !== this.term || term === this.transferTerm) return 0;
    return Math.max(0, this.expiresAtMs - nowMs);
  }

  holds(term: number, nowMs: number): boolean {
    return this.remainingMs(term, nowMs) > 0;
  }
}
