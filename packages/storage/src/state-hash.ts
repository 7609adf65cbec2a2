import { canonicalAuthState } from './auth-state.js';
import { crc32 } from 'node:zlib';
import { packr, type StateMeta } from './kv-format.js';
import { murmur3, type RecordSeal } from './state-record.js';

/**
 * The version of how the records' hash is computed (StateMeta.recordsHashVersion): a stored hash
 * of another version is recomputed at open instead of compared.
 */
export const RECORDS_HASH_VERSION = 2;

/**
 * An order-independent 64-bit hash of the replicated state, as two 32-bit lanes each summed
 * modulo 2^32 over the records: adding a record adds its hash, removing it subtracts it, so
 * apply keeps the hash up to date from the records it changes, whatever the batching.
 *
 * A record's hash comes from its seal (state-record.ts): one lane from the CRC32 of its stored
 * key and payload (which every write computes and every read checks anyway), the other from an
 * independent MurmurHash3 of the same bytes, each mixed with the record's length. Two records
 * that differ are told apart with 64 bits.
 *
 * What it covers: every key record (key, value, createRevision, modRevision, version), every
 * session record, and the replicated fields of the meta record (replicatedMetaHash) — never a
 * member's own bookkeeping (applied term, record format, the hash itself). The key history
 * (history.ts) enters through the meta: its start, the compacted revision and the sum of every
 * history record apply wrote (StateMeta.historyHash). The records a compaction drops are not
 * subtracted (each member drops them in its own steps), so the history that remains is checked
 * record by record (seals, scrub) rather than by this sum.
 */
export interface StateHash {
  readonly high: number;
  readonly low: number;
}

export const emptyStateHash: StateHash = { high: 0, low: 0 };

/** A hash checkpoint: the state hash after exactly `index` was applied. */
export interface StateCheckpoint {
  readonly index: number;
  readonly hash: StateHash;
}

function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function highLane(seal: RecordSeal): number {
  return fmix32(seal.mix ^ Math.imul(seal.bytes, 0x9e3779b1));
}

function lowLane(seal: RecordSeal): number {
  return fmix32((seal.crc + 0x7f4a7c15) ^ Math.imul(seal.bytes ^ 0x2545f491, 0x27d4eb2f));
}

/** The hash of one record, from its seal. */
export function recordHash(seal: RecordSeal): StateHash {
  return { high: highLane(seal), low: lowLane(seal) };
}

/** A running sum of record hashes (mutable; for apply, restore and scrub). */
export class StateHashSum {
  private high: number;
  private low: number;

  constructor(start: StateHash = emptyStateHash) {
    this.high = start.high;
    this.low = start.low;
  }

  // Lanes computed in place: this runs for every record apply writes or replaces.
  add(seal: RecordSeal): void {
    this.high = (this.high + highLane(seal)) >>> 0;
    this.low = (this.low + lowLane(seal)) >>> 0;
  }

  subtract(seal: RecordSeal): void {
    this.high = (this.high - highLane(seal)) >>> 0;
    this.low = (this.low - lowLane(seal)) >>> 0;
  }

  get value(): StateHash {
    return { high: this.high, low: this.low };
  }
}

export function combineHashes(a: StateHash, b: StateHash): StateHash {
  return { high: (a.high + b.high) >>> 0, low: (a.low + b.low) >>> 0 };
}

export function sameHash(a: StateHash, b: StateHash): boolean {
  return a.high === b.high && a.low === b.low;
}

/** 16 hex digits, high lane first. */
export function formatHash(hash: StateHash): string {
  return `${hash.high.toString(16).padStart(8, '0')}${hash.low.toString(16).padStart(8, '0')}`;
}

/** The pseudo key the replicated meta fields are hashed under. */
const replicatedMetaKey = Buffer.from('replicated-meta');

/**
 * The hash of the meta fields every member must hold alike at the same applied index, in a
 * canonical layout (arrays in a fixed order, so no encoder's choice of key order matters).
 */
export function replicatedMetaHash(meta: StateMeta): StateHash {
  const fields: unknown[] = [
    meta.revision,
    meta.confState.voters,
    meta.confState.learners,
    meta.members.map((m) => [m.id, m.name, m.region, m.clientAddress, m.peerAddress, m.learner]),
    meta.memberIdMax,
    meta.sessionClockMs,
    meta.sessionTouches,
    meta.keyValueBytes,
    meta.clusterVersion,
  ];
  // Only once the history began: a state without it hashes as the releases before it did.
  if (meta.historyStartRevision !== undefined) {
    const historyHash = meta.historyHash ?? emptyStateHash;
    fields.push(meta.historyStartRevision, meta.compactRevision ?? meta.historyStartRevision, historyHash.high, historyHash.low);
  }
  // Only once set, so a state without one hashes as before it existed; tagged, so it cannot be
  // mistaken for history fields.
  if (meta.placement !== undefined) fields.push('placement', meta.placement.survive, meta.placement.leaderRegions);
  // Only once auth was configured, tagged like placement.
  if (meta.auth !== undefined) fields.push('auth', canonicalAuthState(meta.auth));
  const canonical = Buffer.from(packr.pack(fields));
  return recordHash({
    crc: crc32(canonical, crc32(replicatedMetaKey)),
    bytes: canonical.byteLength,
    mix: murmur3(canonical, murmur3(replicatedMetaKey, 0)),
  });
}

/** The hash of the whole replicated state: its records' sum and its replicated meta. */
export function stateHashOf(meta: StateMeta & { readonly recordsHash: StateHash }): StateHash {
  return combineHashes(meta.recordsHash, replicatedMetaHash(meta));
}
