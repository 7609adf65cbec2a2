import type { Placement } from './placement.js';
import type { ConfState } from './raft-types.js';
import type { MemberRecord } from './command.js';

/** A key with its MVCC fields, as in kv.proto's KeyValue. */
export interface KeyValue {
  readonly key: Uint8Array;
  /** Empty when read with keysOnly. */
  readonly value: Uint8Array;
  /** Revision of the write that created the key (since its last delete). */
  readonly createRevision: number;
  /** Revision of the last write to the key. */
  readonly modRevision: number;
  /** Writes since creation; 1 after the first put. */
  readonly version: number;
  /** The lease the key is attached to; absent: none. */
  readonly lease?: number;
}

/** A put that was applied. `revision` is the store revision this write created. */
export interface PutResult {
  readonly type: 'put';
  readonly revision: number;
  readonly prevKv?: KeyValue;
}

/**
 * A delete. Deleting a missing key changes nothing: `deleted` is false and `revision` is the
 * store's current revision.
 */
export interface DeleteResult {
  readonly type: 'delete';
  readonly deleted: boolean;
  readonly revision: number;
  readonly prevKv?: KeyValue;
}

/** A get inside a txn. */
export interface GetResult {
  readonly type: 'get';
  readonly found: boolean;
  readonly kv?: KeyValue;
}

export type TxnOpResult = PutResult | DeleteResult | GetResult;

/**
 * A txn. `succeeded` says which branch ran; a failed compare is an answer, not an error.
 * `revision` is the revision after the txn: one more than before if the branch wrote anything.
 */
export interface TxnResult {
  readonly type: 'txn';
  readonly succeeded: boolean;
  readonly results: readonly TxnOpResult[];
  readonly revision: number;
}

/** A put or delete whose guard (ifAbsent, ifModRevision) did not hold; nothing changed. */
export interface CompareFailedResult {
  readonly type: 'compareFailed';
  readonly revision: number;
  /** The key as it is now, if it exists. */
  readonly currentKv?: KeyValue;
}

/**
 * A logged command that is not well formed (only possible if a proposer skipped
 * validateCommand, or a different version proposed it). Nothing changed; every replica
 * answers the same.
 */
export interface InvalidResult {
  readonly type: 'invalid';
  readonly message: string;
}

/**
 * A retried write whose sequence is at or below the client's last one, but whose answer is no
 * longer kept (older than answersPerSessionMax writes). Nothing changed; the outcome of the
 * original write is unknown to this answer.
 */
export interface StaleSequenceResult {
  readonly type: 'staleSequence';
  readonly lastSequence: number;
}

/**
 * A write refused because it would grow the bytes of keys and values held beyond the quota
 * the leader stamped on the command (KvCommand.storeBytesMax). Nothing changed; a retry of the
 * same session write gets this same answer.
 */
export interface QuotaExceededResult {
  readonly type: 'quotaExceeded';
  /** Bytes of keys and values held before the write. */
  readonly keyValueBytes: number;
  /** Bytes the write would have added. */
  readonly growth: number;
  readonly storeBytesMax: number;
}

/** A lease was granted (the revision does not change). */
export interface LeaseGrantResult {
  readonly type: 'leaseGrant';
  readonly id: number;
  readonly ttlMs: number;
}

/** A lease ended (revoked or expired); its keys were deleted at `revision` if any existed. */
export interface LeaseRevokeResult {
  readonly type: 'leaseRevoke';
  readonly id: number;
  readonly keysDeleted: number;
  readonly revision: number;
}

/** A deleteRange that was applied (apply version 3). Nothing in range: `deleted` 0 and the revision unchanged. */
export interface DeleteRangeResult {
  readonly type: 'deleteRange';
  readonly deleted: number;
  readonly revision: number;
  /** The deleted keys as they were, in key order, when asked for. */
  readonly prevKvs?: readonly KeyValue[];
}

/** A deleteRange refused because more keys than its keysMax are in range; nothing changed. */
export interface TooManyKeysResult {
  readonly type: 'tooManyKeys';
  /** Keys found in range, counted up to keysMax + 1. */
  readonly keysInRange: number;
  readonly keysMax: number;
}

/** A compaction applied: reads and watches below `compactRevision` are refused from now on. */
export interface CompactResult {
  readonly type: 'compact';
  readonly compactRevision: number;
  /** The store revision (a compaction does not change it). */
  readonly revision: number;
}

/**
 * A lease command or a put refused for a lease: `leaseNotFound` (no such lease: never granted,
 * revoked or expired), `leaseExists` (a grant of an id held), `leasesExceeded` (the cluster holds
 * --leases-max leases), `leaseKeysExceeded` (the put would attach more keys than the lease takes).
 * Nothing changed.
 */
export interface LeaseRefusedResult {
  readonly type: 'leaseRefused';
  readonly reason: 'leaseNotFound' | 'leaseExists' | 'leasesExceeded' | 'leaseKeysExceeded';
  readonly id: number;
  readonly message: string;
}

/**
 * A compaction refused: at or below the revision already compacted (`compacted`), past the
 * store revision (`future`), or before the cluster keeps history (`noHistory`). Nothing changed.
 */
export interface CompactRefusedResult {
  readonly type: 'compactRefused';
  readonly reason: 'compacted' | 'future' | 'noHistory';
  readonly compactRevision: number;
  readonly revision: number;
}

/** The leader's no-op (a normal entry with empty data). */
export interface NoopResult {
  readonly type: 'noop';
}

/** A membership change was applied. */
export interface ConfChangeResult {
  readonly type: 'confChange';
  readonly confState: ConfState;
  readonly members: readonly MemberRecord[];
}

/** The placement setting was replaced; `placement` is the setting now in force. */
export interface PlacementResult {
  readonly type: 'placement';
  readonly placement: Placement;
}

export type CommandOutcome =
  | PlacementResult
  | PutResult
  | DeleteResult
  | TxnResult
  | CompareFailedResult
  | InvalidResult
  | StaleSequenceResult
  | QuotaExceededResult
  | LeaseGrantResult
  | LeaseRevokeResult
  | LeaseRefusedResult

  | DeleteRangeResult
  | TooManyKeysResult
  | CompactResult
  | CompactRefusedResult
  | AuthChangedResult
  | AuthRefusedResult
  | AuthStaleResult;

/** An auth change (users, roles, keys, the switch) was applied; the auth state is at this revision. */
export interface AuthChangedResult {
  readonly type: 'authChanged';
  readonly authRevision: number;
}

/** An auth change the current auth state does not allow (a user that exists already, ...). Nothing changed. */
export interface AuthRefusedResult {
  readonly type: 'authRefused';
  readonly message: string;
}

/**
 * A write whose permission was checked against an auth state an applied auth change has since
 * replaced (KvCommand.authRevision below the state's revision while auth is on): refused whole,
 * nothing changed. Its session records this answer, so no copy of the write applies later; the
 * caller may send it again as a new write, checked against the newer state.
 */
export interface AuthStaleResult {
  readonly type: 'authStale';
  /** The revision the write was checked against. */
  readonly checkedAuthRevision: number;
  /** The auth state's revision at apply. */
  readonly authRevision: number;
}

export type EntryOutcome = CommandOutcome | NoopResult | ConfChangeResult;

/** What applying one committed entry produced. */
export interface ApplyResult {
  readonly index: number;
  /** The command's position in its entry (an entry may carry several; see encodeCommandBatch). */
  readonly slot: number;
  readonly term: number;
  readonly outcome: EntryOutcome;
  /** True when this was a retried write: `outcome` is the stored first answer and nothing changed. */
  readonly duplicate: boolean;
  /** The session of the command, if it carried one, so the server can find the waiting client. */
  readonly session?: { readonly clientId: string; readonly sequence: number };
}

/** A page of a range read. */
export interface RangeResult {
  readonly kvs: readonly KeyValue[];
  /** True when more keys are in range; pass `continuation` as `after` to get them. */
  readonly more: boolean;
  /** The last key returned (empty when none): resume strictly after it. */
  readonly continuation: Uint8Array;
  /** The store revision the page was read at. */
  readonly revision: number;
}
