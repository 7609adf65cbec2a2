import { crc32 } from 'node:zlib';
import { changeKeyPrefix, parseVersionRecordKey, revisionOfChangeKey, versionKeyPrefix } from './history.js';
import { metaKey, sessionKeyPrefix, userKeyPrefix } from './kv-format.js';
import { plantedDefects } from './planted-defects.js';

/**
 * Every record of the state machine's LevelDB (key records, sessions, the meta record) is
 * stored sealed:
 *
 *   offset 0  u8   0xc1 (a byte msgpack never uses, so no record of the unsealed format 1
 *                  starts with it)
 *   offset 1  u32  CRC32 of the stored key followed by the payload, big-endian
 *   offset 5  ...  payload
 *
 * The checksum covers the key as well as the payload, so a record read from the wrong place
 * (a value swapped with another key's, a block of a table file returned for another) fails it
 * as surely as a flipped byte does. The CRC is zlib's (native in Node), about a gigabyte a
 * second: a few hundred nanoseconds on a record of a few hundred bytes.
 */
export const sealMarker = 0xc1;
export const sealHeaderBytes = 5;

/** What a sealed record says about itself: its checksum and its stored length, and a second hash. */
export interface RecordSeal {
  readonly crc: number;
  readonly bytes: number;
  /**
   * A 32-bit hash of the key and payload independent of the CRC (murmur3), so that a record's
   * hash in the state hash has 64 bits (state-hash.ts). Not stored: computed from the record's
   * bytes whenever it is written or read for its seal.
   */
  readonly mix: number;
}

/** The CRC32 table (zlib's polynomial, reflected), for keys: see crc32Short. */
const crcTable = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** Bytes up to which the CRC is computed in JavaScript: below it, a call into zlib costs more than the bytes. */
const shortCrcBytesMax = 64;

/**
 * zlib's CRC32 of `bytes` continued from `initial`, computed here for short inputs (keys): a
 * call to zlib.crc32 has a fixed cost of a few hundred nanoseconds, paid twice per record
 * otherwise. Equal to zlib's for every non-empty input (tested; stored keys are never empty).
 */
export function crc32Short(bytes: Uint8Array, initial = 0): number {
  if (bytes.byteLength > shortCrcBytesMax) return crc32(bytes, initial);
  let c = ~initial;
  for (let i = 0; i < bytes.byteLength; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

export function recordCrc(key: Uint8Array, payload: Uint8Array): number {
  return crc32(payload, crc32Short(key));
}

/** The stored form of `payload` under `key`. */
export function sealRecord(key: Uint8Array, payload: Uint8Array): Buffer {
  const sealed = Buffer.allocUnsafe(sealHeaderBytes + payload.byteLength);
  sealed[0] = sealMarker;
  sealed.writeUInt32BE(recordCrc(key, payload), 1);
  sealed.set(payload, sealHeaderBytes);
  return sealed;
}

/**
 * Seals in place a record whose payload was written after sealHeaderBytes bytes left free
 * (saves the copy sealRecord makes). Returns `record`.
 */
export function sealInPlace(key: Uint8Array, record: Buffer): Buffer {
  record[0] = sealMarker;
  record.writeUInt32BE(recordCrc(key, record.subarray(sealHeaderBytes)), 1);
  return record;
}

export type OpenedRecord =
  | { readonly ok: true; readonly payload: Uint8Array }
  | { readonly ok: false; readonly reason: string };

/** Checks a stored record against its key; never returns a payload that failed. */
export function openRecord(key: Uint8Array, stored: Uint8Array): OpenedRecord {
  if (stored.byteLength < sealHeaderBytes) return { ok: false, reason: `record is ${stored.byteLength} bytes, shorter than its seal` };
  if (stored[0] !== sealMarker) return { ok: false, reason: `record starts with 0x${stored[0]!.toString(16)}, not the seal marker 0xc1` };
  const expected = ((stored[1]! << 24) | (stored[2]! << 16) | (stored[3]! << 8) | stored[4]!) >>> 0;
  const payload = stored.subarray(sealHeaderBytes);
  const actual = recordCrc(key, payload);
  if (actual !== expected && !plantedDefects().skipRecordChecksum) {
    return { ok: false, reason: `checksum ${hex32(actual)} of key and value does not match the stored ${hex32(expected)}` };
  }
  return { ok: true, payload };
}

/** The seal a sealed record carries, read without checking it (the record is checked by whoever reads it). */
export function sealOf(key: Uint8Array, stored: Uint8Array): RecordSeal {
  const crc = ((stored[1]! << 24) | (stored[2]! << 16) | (stored[3]! << 8) | stored[4]!) >>> 0;
  return { crc, bytes: stored.byteLength, mix: murmur3(stored.subarray(sealHeaderBytes), murmur3(key, mixSeed)) };
}

const mixSeed = 0x5bd1e995;

function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function mixBlock(block: number): number {
  const k = Math.imul(block, 0xcc9e2d51);
  return Math.imul((k << 15) | (k >>> 17), 0x1b873593);
}

/** MurmurHash3 (x86, 32-bit) of `bytes` from `seed`. */
export function murmur3(bytes: Uint8Array, seed: number): number {
  const length = bytes.byteLength;
  const whole = length & ~3;
  let h = seed | 0;
  for (let i = 0; i < whole; i += 4) {
    h ^= mixBlock(bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
    h = (Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64) | 0;
  }
  let tail = 0;
  if ((length & 3) >= 3) tail ^= bytes[whole + 2]! << 16;
  if ((length & 3) >= 2) tail ^= bytes[whole + 1]! << 8;
  if ((length & 3) >= 1) h ^= mixBlock(tail ^ bytes[whole]!);
  return fmix32(h ^ length);
}

function hex32(value: number): string {
  return value.toString(16).padStart(8, '0');
}

const printableKeyBytesMax = 64;

/** Bytes as a person reads them: a quoted string when printable ASCII, else hex; long ones cut. */
export function printableBytes(bytes: Uint8Array): string {
  const shown = bytes.subarray(0, printableKeyBytesMax);
  const cut = bytes.byteLength > shown.byteLength ? `… (${bytes.byteLength} bytes)` : '';
  const printable = shown.every((byte) => byte >= 0x20 && byte < 0x7f);
  if (printable) return `${JSON.stringify(Buffer.from(shown).toString('latin1'))}${cut}`;
  return `0x${Buffer.from(shown).toString('hex')}${cut}`;
}

/** What a stored key names, for messages: `key "a/b"`, `session "client-1"`, `the meta record`. */
export function describeStoredKey(key: Uint8Array): string {
  if (key.byteLength === 1 && key[0] === metaKey[0]) return 'the meta record';
  const rest = key.subarray(1);
  if (key[0] === userKeyPrefix) return `key ${printableBytes(rest)}`;
  if (key[0] === sessionKeyPrefix) return `session ${printableBytes(rest)}`;
  if (key[0] === versionKeyPrefix && key.byteLength > 11) {
    try {
      const { key: userKey, revision } = parseVersionRecordKey(key);
      return `the history version of key ${printableBytes(userKey)} at revision ${revision}`;
    } catch {
      // Not a version record's shape: named by its bytes below.
    }
  }
  if (key[0] === changeKeyPrefix && key.byteLength === 13) return `the history change ${revisionOfChangeKey(key)}/${Buffer.from(key).readUInt32BE(9)}`;
  return `stored key ${printableBytes(key)}`;
}
