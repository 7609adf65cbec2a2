import { Packr } from 'msgpackr';
import type { MemberRecord } from './command.js';
import type { ConfState } from './raft-types.js';
import type { CommandOutcome, KeyValue } from './results.js';
/**
 * Key layout of the state machine's LevelDB (one-letter prefixes):
 *   'k' + user key   → StoredValue       the key-value data
 *   's' + client id  → SessionRecord     exactly-once sessions
 *   'm'              → StateMeta         applied index/term, revision, membership, session clock
 *   'r'              → restore marker    only in a restored database: the copy is complete
 */
export declare const userKeyPrefix = 107;
export declare const sessionKeyPrefix = 115;
export declare const metaKey: Uint8Array<ArrayBuffer>;
export declare const restoreMarkerKey: Uint8Array<ArrayBuffer>;
export declare const packr: Packr;
export interface StoredValue {
    readonly value: Uint8Array;
    readonly createRevision: number;
    readonly modRevision: number;
    readonly version: number;
}
export interface StateMeta {
    readonly appliedIndex: number;
    readonly appliedTerm: number;
    readonly revision: number;
    readonly confState: ConfState;
    readonly members: readonly MemberRecord[];
    /** The highest proposedAtMs applied: the clock sessions expire by. Never goes back. */
    readonly sessionClockMs: number;
    /** Counts session touches; orders sessions from least to most recently used. */
    readonly sessionTouches: number;
}
export declare const freshMeta: StateMeta;
export interface SessionAnswer {
    readonly sequence: number;
    readonly outcome: CommandOutcome;
}
export interface SessionRecord {
    readonly clientId: string;
    readonly lastSequence: number;
    readonly lastSeenMs: number;
    /** StateMeta.sessionTouches when last touched: the eviction order. */
    readonly touchOrder: number;
    /** The most recent answers, oldest first. */
    readonly answers: readonly SessionAnswer[];
}
export declare function prefixedKey(prefix: number, rest: Uint8Array): Uint8Array;
export declare function userKeyOf(key: Uint8Array): Uint8Array;
export declare function sessionKey(clientId: string): Uint8Array;
export declare function toKeyValue(key: Uint8Array, stored: StoredValue, options: {
    keysOnly: boolean;
}): KeyValue;
/** The smallest key greater than every key starting with `prefix`, or undefined if there is none. */
export declare function prefixEnd(prefix: Uint8Array): Uint8Array | undefined;
//# sourceMappingURL=kv-format.d.ts.map