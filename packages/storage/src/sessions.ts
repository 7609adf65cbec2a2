import { assert } from './errors.js';
import { packAnswer, type SessionAnswer, type SessionRecord } from './kv-format.js';
import type { SessionLimits } from './limits.js';

/**
 * Exactly-once sessions (Raft dissertation §6.3). Every decision depends only on the log: the
 * clock is the highest proposedAtMs applied so far, and the order is a touch counter kept in
 * the state, so every replica expires and evicts the same sessions at the same entry.
 *
 * Invariant: `records` iterates in increasing touchOrder, hence in non-decreasing lastSeenMs
 * (the clock never goes back), so expiry and eviction only ever remove from the front.
 *
 * An apply batch changes the table in place between beginChange() and commitChange(); until
 * then rollbackChange() restores it from a journal of the records the batch replaced. This
 * costs per session touched, where copying the table would cost per session kept.
 */
export class SessionTable {
  /** While a change is open: each touched client's record before the change (undefined: none). */
  private journal: Map<string, SessionRecord | undefined> | undefined;
  /** The size as of the last commit, for readers while a change is open. */
  private committedSize: number;

  private constructor(
    private readonly records: Map<string, SessionRecord>,
    private readonly limits: SessionLimits,
  ) {
    this.committedSize = records.size;
  }

  static fromRecords(records: readonly SessionRecord[], limits: SessionLimits): SessionTable {
    const sorted = [...records].sort((a, b) => a.touchOrder - b.touchOrder);
    return new SessionTable(new Map(sorted.map((record) => [record.clientId, record])), limits);
  }

  /** Sessions kept as of the last committed change. */
  get size(): number {
    return this.committedSize;
  }

  get isChanging(): boolean {
    return this.journal !== undefined;
  }

  beginChange(): void {
    assert(this.journal === undefined, 'a session change began while another is open');
    this.journal = new Map();
  }

  commitChange(): void {
    assert(this.journal !== undefined, 'commitChange without beginChange');
    this.journal = undefined;
    this.committedSize = this.records.size;
  }

  /** Puts back every record the open change replaced, in touch order. */
  rollbackChange(): void {
    assert(this.journal !== undefined, 'rollbackChange without beginChange');
    for (const [clientId, before] of this.journal) {
      if (before === undefined) this.records.delete(clientId);
      else this.records.set(clientId, before);
    }
    this.journal = undefined;
    const ordered = [...this.records.values()].sort((a, b) => a.touchOrder - b.touchOrder);
    this.records.clear();
    for (const record of ordered) this.records.set(record.clientId, record);
  }

  /** Journals the client's record before the first change to it in the open change. */
  private noteBeforeChange(clientId: string): void {
    const journal = this.journal;
    // Checked before the message is built: this runs for every session write.
    if (journal === undefined) assert(false, `session ${clientId} changed outside beginChange/commitChange`);
    if (!journal.has(clientId)) journal.set(clientId, this.records.get(clientId));
  }

  get(clientId: string): SessionRecord | undefined {
    return this.records.get(clientId);
  }

  /** Removes sessions idle for longer than the bound at `clockMs`; returns their ids. */
  expire(clockMs: number): string[] {
    const removed: string[] = [];
    for (const record of this.records.values()) {
      if (record.lastSeenMs + this.limits.sessionIdleMsMax >= clockMs) break;
      removed.push(record.clientId);
    }
    for (const clientId of removed) {
      this.noteBeforeChange(clientId);
      this.records.delete(clientId);
    }
    return removed;
  }

  /**
   * The stored answer for a retried write, 'stale' if the sequence is old but its answer is no
   * longer kept, or undefined for a new write.
   */
  findAnswer(clientId: string, sequence: number): SessionAnswer | 'stale' | undefined {
    const record = this.records.get(clientId);
    if (record === undefined || sequence > record.lastSequence) return undefined;
    return record.answers.find((answer) => answer.sequence === sequence) ?? 'stale';
  }

  /**
   * Records the answer to a new write and makes the session the most recently used. Returns
   * the new record and the ids of sessions evicted to stay within sessionsMax.
   */
  recordAnswer(
    clientId: string,
    answer: SessionAnswer,
    clock: { clockMs: number; touchOrder: number },
  ): { record: SessionRecord; evicted: string[] } {
    const previous = this.records.get(clientId);
    const answers = [...(previous?.answers ?? []), answer].slice(-this.limits.answersPerSessionMax);
    const packedAnswers = [...(previous?.packedAnswers ?? []), packAnswer(answer)].slice(-this.limits.answersPerSessionMax);
    const record: SessionRecord = {
      clientId,
      lastSequence: answer.sequence,
      lastSeenMs: clock.clockMs,
      touchOrder: clock.touchOrder,
      answers,
      packedAnswers,
    };
    this.noteBeforeChange(clientId);
    this.records.delete(clientId);
    this.records.set(clientId, record);
    const evicted: string[] = [];
    for (const oldest of this.records.keys()) {
      if (this.records.size - evicted.length <= this.limits.sessionsMax) break;
      evicted.push(oldest);
    }
    for (const id of evicted) {
      this.noteBeforeChange(id);
      this.records.delete(id);
    }
    return { record, evicted };
  }
}
