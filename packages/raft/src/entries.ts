import type { Entry } from './types.js';

/** Fixed cost counted per entry, so that empty entries still weigh something in every limit. */
export const ENTRY_OVERHEAD_BYTES = 16;

/**
 * The size of an entry as every byte limit counts it (messageBytesMax, inflightBytesMax,
 * uncommittedBytesMax, applyBytesMax, LogStorage.entries): payload plus a fixed overhead.
 */
export function entryBytes(entry: Entry): number {
  const payload = entry.type === 'normal' ? entry.data.byteLength : (entry.change.context?.byteLength ?? 0) + 8;
  return payload + ENTRY_OVERHEAD_BYTES;
}

/** The longest prefix of `entries` within `bytesMax`, never fewer than one entry. */
export function limitBytes(entries: readonly Entry[], bytesMax: number): Entry[] {
  let total = 0;
  let count = 0;
  for (const entry of entries) {
    total += entryBytes(entry);
    if (count > 0 && total > bytesMax) break;
    count += 1;
  }
  return entries.slice(0, count);
}

export function totalBytes(entries: readonly Entry[]): number {
  let total = 0;
  for (const entry of entries) total += entryBytes(entry);
  return total;
}
