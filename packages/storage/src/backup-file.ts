import { open } from 'node:fs/promises';
import { assert, SnapshotInvalidError } from './errors.js';
import type { MemberRecord } from './command.js';
import { recordHeaderBytes } from './record.js';
import { packr, type StoredValue, userKeyPrefix } from './kv-format.js';
import { checkedSnapshotStream, sealedSnapshotFormat } from './snapshot-stream.js';
import { describeStoredKey, openRecord } from './state-record.js';

/**
 * A backup file is a snapshot stream (snapshot-stream.ts) written to disk as it came: framed
 * chunks one after another, each with its length and CRC32, the last one a trailer. This reads
 * it back chunk by chunk, for KvStateMachine.seedFromBackup, which checks every chunk, the
 * header's format and the trailer's count. A file cut short ends inside a chunk or before the
 * trailer, and is refused.
 */
export async function* readBackupFile(path: string, chunkBytesMax: number): AsyncGenerator<Uint8Array> {
  const file = await open(path, 'r');
  try {
    let position = 0;
    const header = Buffer.alloc(recordHeaderBytes);
    for (;;) {
      const { bytesRead } = await file.read(header, 0, recordHeaderBytes, position);
      if (bytesRead === 0) return;
      if (bytesRead < recordHeaderBytes) throw new SnapshotInvalidError(`backup ${path} ends inside a chunk header at byte ${position}`);
      const length = header.readUInt32BE(1);
      if (recordHeaderBytes + length > chunkBytesMax) {
        throw new SnapshotInvalidError(`backup ${path}: the chunk at byte ${position} says ${length} bytes, over the limit ${chunkBytesMax}`);
      }
      const chunk = Buffer.alloc(recordHeaderBytes + length);
      header.copy(chunk);
      const body = await file.read(chunk, recordHeaderBytes, length, position + recordHeaderBytes);
      if (body.bytesRead < length) throw new SnapshotInvalidError(`backup ${path} ends inside the chunk at byte ${position}`);
      position += chunk.byteLength;
      yield chunk;
    }
  } finally {
    await file.close();
  }
}

export interface BackupSummary {
  /** The store's revision the backup holds. */
  readonly revision: number;
  /** Where the backed-up cluster's log stood, and its members then. */
  readonly appliedIndex: number;
  readonly members: readonly MemberRecord[];
  /** Stored records (keys, client sessions, the meta record). */
  readonly pairs: number;
  /** User keys, and the bytes of their keys and values (what the store quota counts). */
  readonly keys: number;
  readonly keyValueBytes: number;
  readonly chunks: number;
  readonly bytes: number;
}

/**
 * The length of the value in a stored key record; a record whose checksum fails (snapshot
 * format 2) or that does not decode is damage.
 */
function storedValueBytes(key: Uint8Array, record: Uint8Array, context: { path: string; sealed: boolean }): number {
  const { path } = context;
  let payload = record;
  if (context.sealed) {
    const opened = openRecord(key, record);
    if (!opened.ok) throw new SnapshotInvalidError(`backup ${path} holds a damaged record of ${describeStoredKey(key)}: ${opened.reason}`);
    payload = opened.payload;
  }
  let stored: StoredValue;
  try {
    stored = packr.unpack(payload) as StoredValue;
  } catch (cause) {
    throw new SnapshotInvalidError(`backup ${path} holds a key record that does not decode`, { cause });
  }
  if (!(stored?.value instanceof Uint8Array)) throw new SnapshotInvalidError(`backup ${path} holds a key record without a value`);
  return stored.value.byteLength;
}

/**
 * Reads a whole backup file and checks it as a restore would (every chunk's length and CRC32,
 * the header's format, the trailer's count) without writing anything. Throws
 * SnapshotInvalidError naming what is wrong.
 */
export async function inspectBackupFile(path: string, chunkBytesMax: number): Promise<BackupSummary> {
  let chunks = 0;
  let bytes = 0;
  async function* counted(): AsyncGenerator<Uint8Array> {
    for await (const raw of readBackupFile(path, chunkBytesMax)) {
      chunks += 1;
      bytes += raw.byteLength;
      yield raw;
    }
  }
  let summary: { revision: number; appliedIndex: number; members: readonly MemberRecord[] } | undefined;
  let pairs = 0;
  let keys = 0;
  let keyValueBytes = 0;
  let sealed = true;
  for await (const chunk of checkedSnapshotStream(counted(), chunkBytesMax)) {
    if (chunk.kind === 'header') {
      summary = { revision: chunk.meta.revision, appliedIndex: chunk.meta.appliedIndex, members: chunk.meta.members };
      sealed = chunk.format >= sealedSnapshotFormat;
    } else if (chunk.kind === 'pairs') {
      pairs += chunk.pairs.length;
      for (const [key, value] of chunk.pairs) {
        if (key[0] !== userKeyPrefix) {
          const opened = sealed ? openRecord(key, value) : undefined;
          if (opened?.ok === false) throw new SnapshotInvalidError(`backup ${path} holds a damaged record of ${describeStoredKey(key)}: ${opened.reason}`);
          continue;
        }
        keys += 1;
        keyValueBytes += key.byteLength - 1 + storedValueBytes(key, value, { path, sealed });
      }
    }
  }
  // checkedSnapshotStream ends only after a trailer, which only follows a header.
  assert(summary !== undefined, `checked backup ${path} had no header`);
  return { ...summary, pairs, keys, keyValueBytes, chunks, bytes };
}
