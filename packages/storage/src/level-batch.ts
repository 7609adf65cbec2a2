import type { Database } from './disk.js';

type Bytes = Uint8Array;

export type BatchOperation = { type: 'put'; key: Bytes; value: Bytes } | { type: 'del'; key: Bytes };

/**
 * Writes the operations as one atomic LevelDB write batch, like `db.batch(operations)`, but
 * through a chained batch: each operation goes to the native batch as it is added, which costs
 * a fraction of the array form (that copies and re-reads every operation object) for batches of
 * hundreds of operations.
 */
export async function writeBatchAtomically(
  db: Database,
  operations: readonly BatchOperation[],
  options: { sync: boolean },
): Promise<void> {
  if (operations.length === 0) return;
  const batch = db.batch();
  try {
    for (const operation of operations) {
      if (operation.type === 'put') batch.put(operation.key, operation.value);
      else batch.del(operation.key);
    }
  } catch (error) {
    await batch.close();
    throw error;
  }
  await batch.write({ sync: options.sync });
}

/** Bytes classic-level reads per native call when scanning (its default, 16 KiB, is ~50 records). */
const SCAN_BYTES_PER_READ = 1024 * 1024;
/** Records per native call when scanning: one promise per this many records, not per record. */
const SCAN_RECORDS_PER_READ = 1000;

/**
 * The records of `db` in key order, a batch at a time (one native read and one promise per batch).
 * Full scans (a snapshot sent, a state checked at open) iterate records by the million: reading
 * them one `next()` at a time costs a promise each and a thread-pool round trip every 16 KiB.
 */
export async function* scanRecordBatches(
  db: Database,
  range: { gte?: Bytes; lt?: Bytes; snapshot?: ReturnType<Database['snapshot']> },
): AsyncGenerator<[Bytes, Bytes][]> {
  const iterator = db.iterator({ ...range, highWaterMarkBytes: SCAN_BYTES_PER_READ });
  try {
    for (;;) {
      const records = await iterator.nextv(SCAN_RECORDS_PER_READ);
      if (records.length === 0) return;
      yield records as [Bytes, Bytes][];
    }
  } finally {
    await iterator.close();
  }
}
