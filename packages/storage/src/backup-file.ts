import { open } from 'node:fs/promises';
import { SnapshotInvalidError } from './errors.js';
import { recordHeaderBytes } from './record.js';

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
