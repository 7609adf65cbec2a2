import { crc32 } from 'node:zlib';

/**
 * The framing of every record the log stores:
 *
 *   offset 0  u8   format version (1)
 *   offset 1  u32  payload length, big-endian
 *   offset 5  u32  CRC32 of the payload, big-endian
 *   offset 9  ...  payload (msgpack)
 *
 * A write that was cut short leaves a record shorter than its length says, or a payload whose
 * checksum fails: both are what a torn write looks like. A record longer than its length says,
 * or a length beyond the limit, cannot come from a torn write: that is forgery or corruption.
 */
export const recordHeaderBytes = 9;
const recordFormatVersion = 1;

export function frameRecord(payload: Uint8Array): Uint8Array {
  const record = Buffer.allocUnsafe(recordHeaderBytes + payload.byteLength);
  record.writeUInt8(recordFormatVersion, 0);
  record.writeUInt32BE(payload.byteLength, 1);
  record.writeUInt32BE(crc32(payload), 5);
  record.set(payload, recordHeaderBytes);
  return record;
}

export type RecordCheck =
  | { readonly kind: 'ok'; readonly payload: Uint8Array }
  /** Looks like a write cut short: repairable if it is at the tail of the log. */
  | { readonly kind: 'torn'; readonly reason: string }
  /** Cannot come from a torn write: never repairable. */
  | { readonly kind: 'forged'; readonly reason: string };

export function checkRecord(record: Uint8Array, recordBytesMax: number): RecordCheck {
  const view = Buffer.from(record.buffer, record.byteOffset, record.byteLength);
  if (view.byteLength < recordHeaderBytes) {
    return { kind: 'torn', reason: `record is ${view.byteLength} bytes, shorter than its header` };
  }
  const version = view.readUInt8(0);
  if (version !== recordFormatVersion) return { kind: 'torn', reason: `unknown record format ${version}` };
  const length = view.readUInt32BE(1);
  if (recordHeaderBytes + length > recordBytesMax) {
    return { kind: 'forged', reason: `length field ${length} exceeds the record limit ${recordBytesMax}` };
  }
  const available = view.byteLength - recordHeaderBytes;
  if (length > available) {
    return { kind: 'torn', reason: `length field ${length} but only ${available} payload bytes (partial write)` };
  }
  if (length < available) {
    return { kind: 'forged', reason: `length field ${length} but ${available} payload bytes follow` };
  }
  const payload = view.subarray(recordHeaderBytes);
  const expected = view.readUInt32BE(5);
  const actual = crc32(payload);
  if (expected !== actual) {
    return { kind: 'torn', reason: `checksum ${actual.toString(16)} does not match stored ${expected.toString(16)}` };
  }
  return { kind: 'ok', payload };
}
