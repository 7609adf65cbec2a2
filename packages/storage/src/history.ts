/**
 * The key history (MVCC), after etcd's store: every change is kept by revision until compacted.
 * Two more kinds of record in the state machine's LevelDB, both sealed like every other
 * (state-record.ts):
 *
 *   'h' + revision (u64 BE) + change number (u32 BE)  → HistoryChange   what changed at a revision
 *   'v' + escaped key + 0x00 0x01 + revision (u64 BE) → StoredValue     the key as that revision left it
 *
 * The 'v' records are the key index: one per version of a key, sorted by key then revision, so
 * "the key at revision R" is the last 'v' record of the key at or below R. A delete leaves a
 * tombstone (version 0). The 'h' records say which keys each revision changed, in order: what a
 * watch replays after a restart, and what a compaction walks to find the versions it may drop.
 *
 * The key is escaped so that the order of 'v' records is the order of keys (0x00 becomes
 * 0x00 0xff, and 0x00 0x01 ends the key): the 'v' records of a key range sit between the
 * escaped bounds of the range, as the 'k' records do.
 *
 * The current value of every key stays in its 'k' record as before: reads at the current
 * revision, the quota and the records' hash are unchanged. A key written before the history
 * began (StateMeta.historyStartRevision) has no 'v' record until its next change, which writes
 * the version it replaces too; until then its 'k' record is its only version.
 */
import { assert } from './errors.js';
import { packr, type StoredValue } from './kv-format.js';

export const changeKeyPrefix = 0x68; // 'h'
export const versionKeyPrefix = 0x76; // 'v'

/** One key's change at a revision, as stored in an 'h' record. */
export interface HistoryChange {
  readonly key: Uint8Array;
  readonly type: 'put' | 'delete';
  /** The revision of the version this change replaced; 0 when the key did not exist. */
  readonly previousModRevision: number;
}

const revisionBytes = 8;
const changeNumberBytes = 4;
const keyEnd = Uint8Array.of(0x00, 0x01);
/** After every version of a key: the end marker's successor. */
const keyAfterEnd = Uint8Array.of(0x00, 0x02);

function writeRevision(into: Buffer, offset: number, revision: number): void {
  assert(Number.isSafeInteger(revision) && revision >= 0, `revision ${revision} is not a non-negative safe integer`);
  into.writeUInt32BE(Math.floor(revision / 2 ** 32), offset);
  into.writeUInt32BE(revision % 2 ** 32, offset + 4);
}

function readRevision(from: Uint8Array, offset: number): number {
  const view = Buffer.from(from.buffer, from.byteOffset, from.byteLength);
  return view.readUInt32BE(offset) * 2 ** 32 + view.readUInt32BE(offset + 4);
}

/** The key's bytes with 0x00 escaped (0x00 → 0x00 0xff), without the end marker: order-preserving. */
export function escapeKey(key: Uint8Array): Buffer {
  let zeros = 0;
  for (const byte of key) if (byte === 0) zeros += 1;
  const out = Buffer.allocUnsafe(key.byteLength + zeros);
  let offset = 0;
  for (const byte of key) {
    out[offset++] = byte;
    if (byte === 0) out[offset++] = 0xff;
  }
  return out;
}

function unescapeKey(escaped: Uint8Array): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < escaped.byteLength; i++) {
    out.push(escaped[i]!);
    if (escaped[i] === 0) i += 1;
  }
  return Uint8Array.from(out);
}

/** The 'h' record of the `changeNumber`th key a revision changed. */
export function changeRecordKey(revision: number, changeNumber: number): Uint8Array {
  const key = Buffer.allocUnsafe(1 + revisionBytes + changeNumberBytes);
  key[0] = changeKeyPrefix;
  writeRevision(key, 1, revision);
  key.writeUInt32BE(changeNumber, 1 + revisionBytes);
  return key;
}

export function revisionOfChangeKey(stored: Uint8Array): number {
  return readRevision(stored, 1);
}

/** The 'v' record of `key` at `revision`. */
export function versionRecordKey(key: Uint8Array, revision: number): Uint8Array {
  const escaped = escapeKey(key);
  const out = Buffer.allocUnsafe(1 + escaped.byteLength + keyEnd.byteLength + revisionBytes);
  out[0] = versionKeyPrefix;
  escaped.copy(out, 1);
  out.set(keyEnd, 1 + escaped.byteLength);
  writeRevision(out, 1 + escaped.byteLength + keyEnd.byteLength, revision);
  return out;
}

/** The user key and revision a 'v' record is stored under. */
export function parseVersionRecordKey(stored: Uint8Array): { key: Uint8Array; revision: number } {
  const escapedEnd = stored.byteLength - revisionBytes - keyEnd.byteLength;
  assert(escapedEnd >= 1 && stored[0] === versionKeyPrefix, `not a version record key (${stored.byteLength} bytes)`);
  return { key: unescapeKey(stored.subarray(1, escapedEnd)), revision: readRevision(stored, stored.byteLength - revisionBytes) };
}

/** Where the 'v' records of keys in [start, end) lie; `end` undefined: every key from `start`. */
export function versionRangeBounds(range: { start: Uint8Array; end: Uint8Array | undefined; after?: Uint8Array }): { gte: Uint8Array; lt: Uint8Array } {
  const lower =
    range.after !== undefined && Buffer.compare(range.after, range.start) >= 0
      ? Buffer.concat([Uint8Array.of(versionKeyPrefix), escapeKey(range.after), keyAfterEnd])
      : Buffer.concat([Uint8Array.of(versionKeyPrefix), escapeKey(range.start)]);
  const upper = range.end === undefined ? Uint8Array.of(versionKeyPrefix + 1) : Buffer.concat([Uint8Array.of(versionKeyPrefix), escapeKey(range.end)]);
  return { gte: lower, lt: upper };
}

/** Where the 'h' records of revisions [from, through] lie. */
export function changeRangeBounds(from: number, through: number): { gte: Uint8Array; lt: Uint8Array } {
  return { gte: changeRecordKey(from, 0), lt: changeRecordKey(through + 1, 0) };
}

/** A delete's version record: the key absent from this revision on. */
export function tombstoneAt(revision: number): StoredValue {
  return { value: new Uint8Array(0), createRevision: 0, modRevision: revision, version: 0 };
}

export function isTombstone(stored: StoredValue): boolean {
  return stored.version === 0;
}

/** The payload of an 'h' record: [key, 0 put | 1 delete, previous mod revision]. */
export function encodeHistoryChange(change: HistoryChange): Uint8Array {
  return packr.pack([change.key, change.type === 'put' ? 0 : 1, change.previousModRevision]);
}

export function decodeHistoryChange(payload: Uint8Array): HistoryChange {
  const decoded = packr.unpack(payload) as unknown;
  if (!Array.isArray(decoded) || decoded.length !== 3 || !(decoded[0] instanceof Uint8Array) || (decoded[1] !== 0 && decoded[1] !== 1) || !Number.isSafeInteger(decoded[2])) {
    throw new Error('a history change record is not [key, type, previous revision]');
  }
  return { key: decoded[0], type: decoded[1] === 0 ? 'put' : 'delete', previousModRevision: decoded[2] as number };
}
