/**
 * Reads waiting on the leader for a ReadIndex confirmation (§6.4 of the Raft dissertation).
 * A read joins the queue unassigned; when a heartbeat round starts, every unassigned read gets
 * that round and the commit index of that moment. One round in flight at a time, so every read
 * that arrives during a round shares the next one.
 */
import type { NodeId } from './types.js';

export interface PendingRead {
  readonly requestId: number;
  /** The node that asked: the leader itself, or a follower that forwarded the read. */
  readonly origin: NodeId;
  /** The commit index recorded when the read's round started; 0 while unassigned. */
  index: number;
  /** The heartbeat round confirming this read; 0 while unassigned. */
  round: number;
}

export class ReadQueue {
  private reads: PendingRead[] = [];

  size(): number {
    return this.reads.length;
  }

  has(origin: NodeId, requestId: number): boolean {
    return this.reads.some((read) => read.origin === origin && read.requestId === requestId);
  }

  add(origin: NodeId, requestId: number): void {
    this.reads.push({ origin, requestId, index: 0, round: 0 });
  }

  hasUnassigned(): boolean {
    return this.reads.some((read) => read.round === 0);
  }

  assign(round: number, index: number): void {
    for (const read of this.reads) {
      if (read.round !== 0) continue;
      read.round = round;
      read.index = index;
    }
  }

  /** Removes and returns the reads confirmed by `round` (and every earlier round). */
  releaseUpTo(round: number): PendingRead[] {
    const released = this.reads.filter((read) => read.round !== 0 && read.round <= round);
    this.reads = this.reads.filter((read) => read.round === 0 || read.round > round);
    return released;
  }

  drain(): PendingRead[] {
    const all = this.reads;
    this.reads = [];
    return all;
  }
}
