import type { StorageLimits } from './limits.js';
/**
 * The commands a normal log entry carries, mirroring kv.proto. Numbers are plain JavaScript
 * numbers: revisions and sequences stay below 2^53. Optional fields are omitted, not undefined.
 */
export interface PutOp {
    readonly type: 'put';
    readonly key: Uint8Array;
    readonly value: Uint8Array;
    /** Only if the key does not exist. Not allowed inside a txn (use a compare). */
    readonly ifAbsent?: boolean;
    /** Only if the key's modRevision equals this; 0 or absent = no guard. Not allowed inside a txn. */
    readonly ifModRevision?: number;
    /** Return the key's previous value. */
    readonly prevKv?: boolean;
}
export interface DeleteOp {
    readonly type: 'delete';
    readonly key: Uint8Array;
    /** Only if the key's modRevision equals this; 0 or absent = no guard. Not allowed inside a txn. */
    readonly ifModRevision?: number;
    readonly prevKv?: boolean;
}
/** A read inside a txn, answered from the state the txn sees at that point. */
export interface GetOp {
    readonly type: 'get';
    readonly key: Uint8Array;
}
export type TxnOp = PutOp | DeleteOp | GetOp;
export type CompareTarget = 'value' | 'version' | 'modRevision' | 'createRevision';
export type CompareOperator = 'equal' | 'notEqual' | 'less' | 'greater';
/** A missing key compares as an empty value with version and revisions 0 (as in kv.proto). */
export interface Compare {
    readonly key: Uint8Array;
    readonly target: CompareTarget;
    readonly operator: CompareOperator;
    /** For target 'value'. */
    readonly value?: Uint8Array;
    /** For 'version', 'modRevision', 'createRevision'. */
    readonly number?: number;
}
export interface TxnOperation {
    readonly type: 'txn';
    readonly compare: readonly Compare[];
    readonly success: readonly TxnOp[];
    readonly failure: readonly TxnOp[];
}
export type KvOperation = PutOp | DeleteOp | TxnOperation;
/** Identifies a write for exactly-once application. An empty clientId means no deduplication. */
export interface ClientSession {
    readonly clientId: string;
    /** Positive; a client numbers its writes 1, 2, 3, ... */
    readonly sequence: number;
}
/** What a normal log entry's `data` decodes to. */
export interface KvCommand {
    readonly operation: KvOperation;
    readonly session?: ClientSession;
    /**
     * The leader's wall clock when it proposed the command. Sessions expire by this clock (made
     * monotonic by the state machine), never by the applying replica's own clock.
     */
    readonly proposedAtMs: number;
}
/** A member's identity and addresses, carried in a ConfChange's `context`. */
export interface MemberRecord {
    readonly id: number;
    readonly name: string;
    readonly region: string;
    readonly clientAddress: string;
    readonly peerAddress: string;
    readonly learner: boolean;
}
/** Encodes a command for a normal entry's data. Call validateCommand first. */
export declare function encodeCommand(command: KvCommand): Uint8Array;
/**
 * Decodes a normal entry's data. Throws InvalidCommandError if the bytes are not a well-formed
 * command (shape only; limits are checked by validateCommand before proposing).
 */
export declare function decodeCommand(data: Uint8Array): KvCommand;
/** Encodes a member for a ConfChange's context. */
export declare function encodeMemberContext(member: MemberRecord): Uint8Array;
/** Decodes a ConfChange's context; throws InvalidCommandError if it is not a MemberRecord. */
export declare function decodeMemberContext(context: Uint8Array): MemberRecord;
/**
 * Checks a command against the limits and the rules of a well-formed request; throws
 * KeyTooLargeError, ValueTooLargeError, RequestTooLargeError or InvalidCommandError.
 * Returns the encoded command so that the caller proposes exactly what was checked.
 * The server calls this before proposing: bad input never enters the log.
 */
export declare function validateCommand(command: KvCommand, limits: StorageLimits): Uint8Array;
/** A string that identifies a key's bytes one to one (latin1 maps each byte to one code unit). */
export declare function keyId(key: Uint8Array): string;
//# sourceMappingURL=command.d.ts.map