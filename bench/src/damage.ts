import fs from 'node:fs';
import path from 'node:path';
import type { Prng } from '@holdfast/raft';

/**
 * Damage to a stopped member's files, as a bad disk would do it: the bytes of a write-ahead
 * record changed or cut short, or bytes in the middle of a table changed. Pure file operations;
 * the caller stops the member before and restarts it after.
 */

/** The damage kinds; each is a nemesis kind too (schedule.ts). */
export type DamageKind = 'corrupt-log-tail' | 'truncate-log-tail' | 'corrupt-state-table';

/** What was done to which file, for the report. */
export interface DamageRecord {
  kind: DamageKind;
  /** Path relative to the member's data directory, e.g. `log/000007.log`. */
  file: string;
  /** Size of the file before the damage. */
  fileBytes: number;
  /** Offsets of the bytes changed (flips), or of the cut (truncation). */
  offsets: number[];
  /** Bytes changed (flips) or cut off (truncation). */
  bytes: number;
  /** Write-ahead records hit (log kinds): how many of the last records lost their bytes. */
  recordsHit?: number;
  detail: string;
}

export class NothingToDamage extends Error {
  override readonly name = 'NothingToDamage';
  readonly code = 'nothing-to-damage';
}

/** LevelDB's write-ahead file format (db/log_format.h): 32 KiB blocks of records, 7-byte headers. */
export const LEVELDB_LOG_BLOCK_BYTES = 32 * 1024;
export const LEVELDB_LOG_HEADER_BYTES = 7;

/** One physical record of a LevelDB write-ahead file: header and payload. */
export interface WalFragment {
  offset: number;
  /** Header included. */
  bytes: number;
  /** 1 full, 2 first, 3 middle, 4 last. */
  type: number;
}

/** One logical record (a write batch): its fragments, first to last. */
export interface WalRecord {
  offset: number;
  end: number;
  fragments: WalFragment[];
}

const FULL = 1;
const FIRST = 2;

/** Every physical record of a write-ahead file's bytes, until zeros or a torn end. */
export function parseWalFragments(data: Uint8Array): WalFragment[] {
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const fragments: WalFragment[] = [];
  let offset = 0;
  while (offset < view.length) {
    const blockLeft = LEVELDB_LOG_BLOCK_BYTES - (offset % LEVELDB_LOG_BLOCK_BYTES);
    if (blockLeft < LEVELDB_LOG_HEADER_BYTES) {
      offset += blockLeft; // the block's zero trailer
      continue;
    }
    if (offset + LEVELDB_LOG_HEADER_BYTES > view.length) break;
    const length = view.readUInt16LE(offset + 4);
    const type = view[offset + 6] as number;
    if (type === 0 && length === 0) break; // preallocated zeros: the end of what was written
    const bytes = LEVELDB_LOG_HEADER_BYTES + length;
    if (offset + bytes > view.length) break; // already torn
    fragments.push({ offset, bytes, type });
    offset += bytes;
  }
  return fragments;
}

/** Fragments grouped into logical records (a full one, or first..last). */
export function groupWalRecords(fragments: readonly WalFragment[]): WalRecord[] {
  const records: WalRecord[] = [];
  for (const fragment of fragments) {
    const last = records.at(-1);
    if (fragment.type === FULL || fragment.type === FIRST || last === undefined) {
      records.push({ offset: fragment.offset, end: fragment.offset + fragment.bytes, fragments: [fragment] });
    } else {
      last.fragments.push(fragment);
      last.end = fragment.offset + fragment.bytes;
    }
  }
  return records;
}

/** LevelDB's numbered files of one kind in `dir` (`000012.log`, `000034.ldb`), oldest first. */
export function levelFiles(dir: string, extension: 'log' | 'ldb'): string[] {
  if (!fs.existsSync(dir)) return [];
  const pattern = extension === 'log' ? /^\d+\.log$/ : /^\d+\.(ldb|sst)$/;
  return fs
    .readdirSync(dir)
    .filter((name) => pattern.test(name))
    .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
}

/** The log database's current write-ahead file (the newest numbered .log). */
export function currentLogWal(dataDir: string): string | undefined {
  const files = levelFiles(path.join(dataDir, 'log'), 'log');
  const newest = files.at(-1);
  return newest === undefined ? undefined : path.join('log', newest);
}

/** Flip `count` bytes at `offsets` (XOR with a non-zero value, so each really changes). */
function flipBytes(file: string, offsets: readonly number[], prng: Prng): void {
  const fd = fs.openSync(file, 'r+');
  try {
    const one = Buffer.alloc(1);
    for (const offset of offsets) {
      fs.readSync(fd, one, 0, 1, offset);
      one[0] = (one[0] as number) ^ prng.int(1, 255);
      fs.writeSync(fd, one, 0, 1, offset);
    }
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** The last `count` logical records of the member's log write-ahead file, with its path. */
function lastWalRecords(dataDir: string, countMax: number): { file: string; size: number; records: WalRecord[] } {
  const file = currentLogWal(dataDir);
  if (file === undefined) throw new NothingToDamage(`no write-ahead file in ${path.join(dataDir, 'log')}`);
  const data = fs.readFileSync(path.join(dataDir, file));
  const records = groupWalRecords(parseWalFragments(data));
  if (records.length === 0) throw new NothingToDamage(`${file} holds no record yet (${data.length} bytes)`);
  return { file, size: data.length, records: records.slice(-countMax) };
}

/**
 * Flip one byte in the payload of each of the last 1-3 records of the log database's write-ahead
 * file: their checksums no longer match, and LevelDB drops them when it reopens the file
 * ("dropping N bytes; checksum mismatch") — the records the member had synced and acknowledged.
 */
export function corruptLogTail(dataDir: string, prng: Prng): DamageRecord {
  const { file, size, records } = lastWalRecords(dataDir, prng.int(1, 3));
  const offsets: number[] = [];
  for (const record of records) {
    const fragment = prng.pick(record.fragments);
    const payloadBytes = fragment.bytes - LEVELDB_LOG_HEADER_BYTES;
    // A record with an empty payload: hit its length field instead (still a checksum mismatch).
    offsets.push(payloadBytes > 0 ? fragment.offset + LEVELDB_LOG_HEADER_BYTES + prng.int(0, payloadBytes - 1) : fragment.offset + 4);
  }
  flipBytes(path.join(dataDir, file), offsets, prng);
  return {
    kind: 'corrupt-log-tail',
    file,
    fileBytes: size,
    offsets,
    bytes: offsets.length,
    recordsHit: records.length,
    detail: `flipped one byte in each of the last ${records.length} record(s) of ${file} (records at ${records.map((r) => r.offset).join(', ')})`,
  };
}

/**
 * Cut the log database's write-ahead file inside one of its last 1-3 records: the bytes a torn
 * (or lying) disk never kept. LevelDB takes a short record at the end of the file for a write
 * that died half-way and drops it without a word.
 */
export function truncateLogTail(dataDir: string, prng: Prng): DamageRecord {
  const { file, size, records } = lastWalRecords(dataDir, prng.int(1, 3));
  const record = records[0] as WalRecord;
  const cutAt = prng.int(record.offset + 1, record.end - 1);
  fs.truncateSync(path.join(dataDir, file), cutAt);
  return {
    kind: 'truncate-log-tail',
    file,
    fileBytes: size,
    offsets: [cutAt],
    bytes: size - cutAt,
    recordsHit: records.length,
    detail: `cut ${file} at ${cutAt} (inside the record at ${record.offset}..${record.end}), ${size - cutAt} bytes and ${records.length} record(s) lost`,
  };
}

/**
 * Flip 1-8 consecutive bytes in the middle half of one of the state database's tables (chosen
 * with a chance proportional to its size): data LevelDB does not check on an ordinary read.
 */
export function corruptStateTable(dataDir: string, prng: Prng): DamageRecord {
  const dir = path.join(dataDir, 'kv');
  const tables = levelFiles(dir, 'ldb').map((name) => ({ name, size: fs.statSync(path.join(dir, name)).size }));
  const total = tables.reduce((sum, t) => sum + t.size, 0);
  if (total === 0) throw new NothingToDamage(`no table in ${dir} yet`);
  const table = pickBySize(tables, prng.int(0, total - 1));
  const count = prng.int(1, 8);
  const start = prng.int(Math.floor(table.size / 4), Math.max(Math.floor(table.size / 4), Math.floor((table.size * 3) / 4) - count));
  const offsets = Array.from({ length: Math.min(count, table.size - start) }, (_, i) => start + i);
  const file = path.join('kv', table.name);
  flipBytes(path.join(dataDir, file), offsets, prng);
  return {
    kind: 'corrupt-state-table',
    file,
    fileBytes: table.size,
    offsets,
    bytes: offsets.length,
    detail: `flipped ${offsets.length} byte(s) at ${start}..${start + offsets.length - 1} of ${file} (${table.size} bytes)`,
  };
}

/** The item whose cumulative size range holds `draw` (a draw in [0, total size)). */
function pickBySize<T extends { size: number }>(items: readonly T[], draw: number): T {
  let left = draw;
  for (const item of items) {
    if (left < item.size) return item;
    left -= item.size;
  }
  throw new RangeError(`draw ${draw} is past the total size`);
}

export function applyDamage(kind: DamageKind, dataDir: string, prng: Prng): DamageRecord {
  switch (kind) {
    case 'corrupt-log-tail':
      return corruptLogTail(dataDir, prng);
    case 'truncate-log-tail':
      return truncateLogTail(dataDir, prng);
    case 'corrupt-state-table':
      return corruptStateTable(dataDir, prng);
  }
}
