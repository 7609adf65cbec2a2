import type { SessionAnswer, SessionRecord } from './kv-format.js';
import type { SessionLimits } from './limits.js';
/**
 * Exactly-once sessions (Raft dissertation §6.3). Every decision depends only on the log: the
 * clock is the highest proposedAtMs applied so far, and the order is a touch counter kept in
 * the state, so every replica expires and evicts the same sessions at the same entry.
 *
 * Invariant: `records` iterates in increasing touchOrder, hence in non-decreasing lastSeenMs
 * (the clock never goes back), so expiry and eviction only ever remove from the front.
 */
export declare class SessionTable {
    private readonly records;
    private readonly limits;
    private constructor();
    static fromRecords(records: readonly SessionRecord[], limits: SessionLimits): SessionTable;
    clone(): SessionTable;
    get size(): number;
    get(clientId: string): SessionRecord | undefined;
    /** Removes sessions idle for longer than the bound at `clockMs`; returns their ids. */
    expire(clockMs: number): string[];
    /**
     * The stored answer for a retried write, 'stale' if the sequence is old but its answer is no
     * longer kept, or undefined for a new write.
     */
    findAnswer(clientId: string, sequence: number): SessionAnswer | 'stale' | undefined;
    /**
     * Records the answer to a new write and makes the session the most recently used. Returns
     * the new record and the ids of sessions evicted to stay within sessionsMax.
     */
    recordAnswer(clientId: string, answer: SessionAnswer, clock: {
        clockMs: number;
        touchOrder: number;
    }): {
        record: SessionRecord;
        evicted: string[];
    };
}
//# sourceMappingURL=sessions.d.ts.map