import { Packr } from 'msgpackr';
import type { AuthState } from './auth-state.js';
import type { MemberRecord } from './command.js';
import type { Placement } from './placement.js';
import type { ConfState } from './raft-types.js';
import type { CommandOutcome, KeyValue } from './results.js';

/**
 * Key layout of the state machine's LevelDB (one-letter prefixes):
 *   'k' + user key   → StoredValue       the key-value data
 *   'l' + u64 id     → LeaseRecord       leases and the keys attached to them (leases.ts);
 *                                        id 0 holds the highest id ever granted
 *   's' + client id  → SessionRecord     exactly-once sessions
 *   'm'              → StateMeta         applied index/term, revision, membership, session clock
 *   'r'              → restore marker    only in a restored database: the copy is complete
 *   'h' + revision   → HistoryChange     the key history, by revision (history.ts)
 *   'v' + key + rev  → StoredValue       the key history, by key (history.ts)
 */
export const userKeyPrefix = 0x6b; // 'k'
export const sessionKeyPrefix = 0x73; // 's'
export const leaseKeyPrefix = 0x6c; // 'l'
export const metaKey = Uint8Array.of(0x6d); // 'm'
export const restoreMarkerKey = Uint8Array.of(0x72); // 'r'

export const packr = new Packr({ useRecords: false, moreTypes: false });

export interface StoredValue {
  readonly value: Uint8Array;
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  /** The lease the key is attached to; absent: none. */
  readonly lease?: number;
}

export interface StateMeta {
  readonly appliedIndex: number;
  readonly appliedTerm: number;
  readonly revision: number;
  readonly confState: ConfState;
  readonly members: readonly MemberRecord[];
  /**
   * The highest member id that was ever part of the membership (removed ones included), so a new
   * member never gets the id of an old one whose stale data might still be around. Never goes back.
   */
  readonly memberIdMax: number;
  /** The highest proposedAtMs applied: the clock sessions expire by. Never goes back. */
  readonly sessionClockMs: number;
  /** Counts session touches; orders sessions from least to most recently used. */
  readonly sessionTouches: number;
  /**
   * Bytes of the keys and values held (user keys and their values, nothing else): what the
   * store quota counts. Kept exactly, in the batch of every change. Absent in a state written
   * before it existed; open() counts it then.
   */
  readonly keyValueBytes: number;
  /**
   * The highest apply version of any command applied (see apply-version.ts); commands are applied
   * at least at this version. Never goes back. Absent in a state written before it existed: 1.
   */
  readonly clusterVersion: number;
  /**
   * How records are stored: 2 = sealed with a checksum of key and value (state-record.ts).
   * Absent in a state written before checksums (format 1), which open() converts.
   */
  readonly recordFormat?: number;
  /**
   * The sum of the hashes of every key and session record (state-hash.ts), written in the batch
   * of every change, so it always goes with the applied index. Absent in a state written before
   * it existed; open() computes it then.
   */
  readonly recordsHash?: { readonly high: number; readonly low: number };
  /** How recordsHash was computed (state-hash.ts RECORDS_HASH_VERSION); another version is recomputed. */
  readonly recordsHashVersion?: number;
  /**
   * The cluster's placement setting (placement.ts), from the last setPlacement applied. Absent
   * until one is: DEFAULT_PLACEMENT.
   */
  readonly placement?: Placement;
  /**
   * The store revision when the key history began (history.ts): the first command applied at
   * apply version 3 starts it, at the same index on every member. Absent: no history is kept.
   */
  readonly historyStartRevision?: number;
  /**
   * Reads and watches below this revision are refused (compacted). Set by compact commands;
   * never below historyStartRevision, never above revision, never goes back. Present with
   * historyStartRevision.
   */
  readonly compactRevision?: number;
  /**
   * The sum of the hashes of every history record apply wrote (state-hash.ts), never reduced by
   * a compaction: members that applied the same changes hold the same sum. Present with
   * historyStartRevision.
   */
  readonly historyHash?: { readonly high: number; readonly low: number };
  /**
   * This member's own progress in dropping compacted history records (a compaction is recorded
   * at once and carried out in steps after it): every record made unreadable by compactions up
   * to this revision is gone. Not replicated; at most compactRevision.
   */
  readonly historyDroppedThrough?: number;
  /** Keys held (user keys), kept with every change. Absent in a state written before it existed; open() counts it then. */
  readonly keyCount?: number;
  /**
   * Users, roles, signing keys and whether auth is on (auth-state.ts). Absent until the first
   * auth change is applied (a state without it hashes as before).
   */
  readonly auth?: AuthState;
}

/** The record format this release writes (see StateMeta.recordFormat). */
export const STATE_RECORD_FORMAT = 2;

export const freshMeta: StateMeta = {
  appliedIndex: 0,
  appliedTerm: 0,
  revision: 0,
  confState: { voters: [], learners: [] },
  members: [],
  memberIdMax: 0,
  sessionClockMs: 0,
  sessionTouches: 0,
  keyValueBytes: 0,
  clusterVersion: 1,
  recordFormat: STATE_RECORD_FORMAT,
};

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
  /** The same answers packed (packAnswer), each once, when it was recorded. */
  readonly packedAnswers: readonly Uint8Array[];
}

/**
 * A session record as stored: a small binary layout, with each answer packed (msgpackr) once,
 * when it is recorded (SessionRecord.packedAnswers). A session is rewritten on every write it makes, with up to
 * answersPerSessionMax answers; packing the record as a msgpack map, answers and all, was the
 * largest single cost of applying a put. Layout (big-endian):
 *   u8 format (2) · u16 client id bytes · client id (UTF-8) · f64 lastSequence · f64 lastSeenMs
 *   · f64 touchOrder · u16 answer count · per answer: u32 bytes · the packed SessionAnswer
 */
const SESSION_RECORD_FORMAT = 2;

/** An answer's stored bytes. A copy: packr.pack returns a view of a buffer it reuses. */
export function packAnswer(answer: SessionAnswer): Uint8Array {
  return Buffer.from(packr.pack({ sequence: answer.sequence, outcome: answer.outcome }));
}

/**
 * The record's bytes, after `headerBytes` bytes left for the caller (a seal's header, written in
 * place instead of copying the record behind it).
 */
export function encodeSessionRecord(record: SessionRecord, headerBytes = 0): Buffer {
  const answers = record.packedAnswers;
  const clientIdBytes = Buffer.byteLength(record.clientId, 'utf8');
  let size = 1 + 2 + clientIdBytes + 3 * 8 + 2;
  for (const answer of answers) size += 4 + answer.byteLength;
  const out = Buffer.allocUnsafe(headerBytes + size);
  let offset = out.writeUInt8(SESSION_RECORD_FORMAT, headerBytes);
  offset = out.writeUInt16BE(clientIdBytes, offset);
  offset += out.write(record.clientId, offset, 'utf8');
  offset = out.writeDoubleBE(record.lastSequence, offset);
  offset = out.writeDoubleBE(record.lastSeenMs, offset);
  offset = out.writeDoubleBE(record.touchOrder, offset);
  offset = out.writeUInt16BE(answers.length, offset);
  for (const answer of answers) {
    offset = out.writeUInt32BE(answer.byteLength, offset);
    out.set(answer, offset);
    offset += answer.byteLength;
  }
  return out;
}

/** Throws on any damage (a length that runs past the end, another format, bytes left over). */
export function decodeSessionRecord(bytes: Uint8Array): SessionRecord {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  const need = (count: number): number => {
    if (offset + count > view.length) throw new Error(`session record ends at ${view.length} bytes, inside a field at ${offset}`);
    const at = offset;
    offset += count;
    return at;
  };
  const format = view.readUInt8(need(1));
  if (format !== SESSION_RECORD_FORMAT) throw new Error(`session record format ${format} is not ${SESSION_RECORD_FORMAT}`);
  const clientIdBytes = view.readUInt16BE(need(2));
  const clientIdAt = need(clientIdBytes);
  const clientId = view.toString('utf8', clientIdAt, clientIdAt + clientIdBytes);
  const lastSequence = view.readDoubleBE(need(8));
  const lastSeenMs = view.readDoubleBE(need(8));
  const touchOrder = view.readDoubleBE(need(8));
  const count = view.readUInt16BE(need(2));
  const answers: SessionAnswer[] = [];
  const packedAnswers: Uint8Array[] = [];
  for (let i = 0; i < count; i += 1) {
    const length = view.readUInt32BE(need(4));
    const at = need(length);
    const packed = Buffer.from(view.subarray(at, at + length));
    answers.push(packr.unpack(packed) as SessionAnswer);
    packedAnswers.push(packed);
  }
  if (offset !== view.length) throw new Error(`session record has ${view.length - offset} bytes after its last answer`);
  return { clientId, lastSequence, lastSeenMs, touchOrder, answers, packedAnswers };
}

export function prefixedKey(prefix: number, rest: Uint8Array): Uint8Array {
  const key = Buffer.allocUnsafe(rest.byteLength + 1);
  key[0] = prefix;
  key.set(rest, 1);
  return key;
}

export function userKeyOf(key: Uint8Array): Uint8Array {
  return key.subarray(1);
}

export function sessionKey(clientId: string): Uint8Array {
  // Written in place: one allocation per key instead of a temporary Buffer plus a copy.
  const key = Buffer.allocUnsafe(Buffer.byteLength(clientId, 'utf8') + 1);
  key[0] = sessionKeyPrefix;
  key.write(clientId, 1, 'utf8');
  return key;
}

export function toKeyValue(key: Uint8Array, stored: StoredValue, options: { keysOnly: boolean }): KeyValue {
  return {
    key,
    value: options.keysOnly ? new Uint8Array(0) : stored.value,
    createRevision: stored.createRevision,
    modRevision: stored.modRevision,
    version: stored.version,
    ...(stored.lease === undefined ? {} : { lease: stored.lease }),
  };
}

/** The smallest key greater than every key starting with `prefix`, or undefined if there is none. */
export function prefixEnd(prefix: Uint8Array): Uint8Array | undefined {
  const end = Uint8Array.from(prefix);
  for (let position = end.length - 1; position >= 0; position--) {
    if (end[position]! < 0xff) {
      end[position]! += 1;
      return end.subarray(0, position + 1);
    }
  }
  return undefined;
}
