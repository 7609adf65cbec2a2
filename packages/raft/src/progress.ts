/**
 * The leader's view of each member (etcd-io/raft tracker/progress.go and inflights.go).
 *
 * probe: the leader does not know where the follower's log matches; it sends one append at a
 *   time and waits for the answer (or a heartbeat answer) before sending the next.
 * replicate: the follower is known to match up to `match`; appends are pipelined, bounded by
 *   the in-flight window (messages and bytes).
 * snapshot: the follower is behind the compacted prefix; a snapshot is on its way, nothing else
 *   is sent until it is reported finished or failed.
 */
import { invariant } from './errors.js';
import type { ProgressState, ProgressStatus } from './types.js';

/** The append messages sent to one follower and not yet acknowledged, oldest first. */
export class Inflights {
  private readonly lastIndexes: number[] = [];
  private readonly sizes: number[] = [];
  private bytes = 0;

  constructor(
    private readonly messagesMax: number,
    private readonly bytesMax: number,
  ) {}

  add(lastIndex: number, bytes: number): void {
    invariant(!this.full(), 'no append is sent past a full in-flight window', {
      count: this.lastIndexes.length,
      bytes: this.bytes,
    });
    this.lastIndexes.push(lastIndex);
    this.sizes.push(bytes);
    this.bytes += bytes;
  }

  /** The follower acknowledged everything up to `index`. */
  freeLE(index: number): void {
    let count = 0;
    while (count < this.lastIndexes.length && this.lastIndexes[count]! <= index) {
      this.bytes -= this.sizes[count]!;
      count += 1;
    }
    this.lastIndexes.splice(0, count);
    this.sizes.splice(0, count);
  }

  /** Forgets the oldest message in flight (it was probably lost). */
  freeFirst(): void {
    const first = this.lastIndexes[0];
    if (first !== undefined) this.freeLE(first);
  }

  full(): boolean {
    return this.lastIndexes.length >= this.messagesMax || this.bytes >= this.bytesMax;
  }

  /** Bytes still allowed in flight. */
  bytesLeft(): number {
    return Math.max(0, this.bytesMax - this.bytes);
  }

  count(): number {
    return this.lastIndexes.length;
  }

  reset(): void {
    this.lastIndexes.length = 0;
    this.sizes.length = 0;
    this.bytes = 0;
  }
}

export class Progress {
  /**
   * Highest index known to match the leader's log. Invariant: match < next; match never decreases
   * within a term, except when the member reports it lost entries it had acknowledged
   * (forgetMatch): what it acknowledged before is then no longer known to be held.
   */
  match = 0;
  /** Next index to send. */
  next: number;
  state: ProgressState = 'probe';
  /** probe state: an append was sent and not answered yet. */
  probeSent = false;
  /** snapshot state: index of the snapshot being sent. */
  pendingSnapshot = 0;
  /** snapshot state: ticks since the snapshot was sent. */
  snapshotElapsedTicks = 0;
  /** Heard from during the current election timeout (CheckQuorum). */
  recentActive = false;
  /** Highest read round the member acknowledged (ReadIndex). */
  readRoundAcked = 0;
  /** The leader's commit index carried by the last append sent to the member. */
  commitSent = 0;
  /**
   * The member reported, in this term, that it lost entries it had acknowledged. From then on
   * `match` holds only what it acknowledged since (forgetMatch), and appends to it carry the
   * answer (Message.lostEntries) so that it knows when it may leave repair.
   */
  lostEntries = false;
  readonly inflights: Inflights;

  constructor(options: { next: number; isLearner: boolean; inflightMessagesMax: number; inflightBytesMax: number }) {
    this.next = options.next;
    this.isLearner = options.isLearner;
    this.inflights = new Inflights(options.inflightMessagesMax, options.inflightBytesMax);
  }

  isLearner: boolean;

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      // The snapshot may or may not have landed: start probing right after it.
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1);
    } else {
      this.next = this.match + 1;
    }
    this.state = 'probe';
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights.reset();
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = this.match + 1;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights.reset();
  }

  becomeSnapshot(snapshotIndex: number): void {
    this.state = 'snapshot';
    this.probeSent = false;
    this.pendingSnapshot = snapshotIndex;
    this.snapshotElapsedTicks = 0;
    this.inflights.reset();
  }

  /** An acknowledgement up to `index` arrived. Returns false if it was stale. */
  maybeUpdate(index: number): boolean {
    let updated = false;
    if (index > this.match) {
      this.match = index;
      updated = true;
      this.probeSent = false;
    }
    this.next = Math.max(this.next, index + 1);
    invariant(this.match < this.next, 'match < next', { match: this.match, next: this.next });
    return updated;
  }

  /**
   * The follower rejected the append after `rejected`; `matchHint` is the highest index that
   * may match. Returns false if the rejection was stale.
   */
  maybeDecrTo(rejected: number, matchHint: number): boolean {
    if (this.state === 'replicate') {
      if (rejected <= this.match) return false;
      this.next = this.match + 1;
      return true;
    }
    if (this.next - 1 !== rejected) return false;
    if (matchHint < this.match) {
      // The member no longer holds what it acknowledged (a lost tail), or this rejection is older
      // than its acknowledgement. Forgetting the match is safe either way (the leader counts less
      // for commit); keeping it would probe at the same index forever.
      this.forgetMatch(matchHint);
      return true;
    }
    const next = Math.max(Math.min(rejected, matchHint + 1), this.match + 1);
    // The same probe again would get the same answer: wait for the next heartbeat's answer.
    if (next === this.next) return false;
    this.next = next;
    this.probeSent = false;
    return true;
  }

  /**
   * The member lost entries it had acknowledged; its log now ends at `memberLastIndex`. Nothing it
   * acknowledged before counts any more: probe where its log ends (a snapshot follows if the
   * leader's log no longer reaches there).
   */
  forgetMatch(memberLastIndex: number): void {
    this.match = 0;
    this.state = 'probe';
    this.next = memberLastIndex + 1;
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflights.reset();
  }

  /** Whether the leader must hold back appends to this member. */
  isPaused(): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflights.full();
      case 'snapshot':
        return true;
    }
  }

  status(id: number): ProgressStatus {
    return {
      id,
      match: this.match,
      next: this.next,
      state: this.state,
      isLearner: this.isLearner,
      recentActive: this.recentActive,
      inflightMessages: this.inflights.count(),
      lostEntries: this.lostEntries,
    };
  }
}
