import { dirname } from 'node:path';
import type { StorageDisk } from './disk.js';
import { restoreMarkerKey } from './kv-format.js';
import type { StorageLogger } from './logger.js';

/**
 * Restoring a snapshot replaces the whole state directory:
 *   1. write the snapshot into `<dir>.incoming`, then the marker key (synced) — the copy is complete;
 *   2. rename `<dir>` → `<dir>.old`;
 *   3. rename `<dir>.incoming` → `<dir>` and fsync the parent directory;
 *   4. delete `<dir>.old`.
 * recoverInterruptedRestore() runs at open and turns any crash point into the old or the new state:
 *   before 2: `<dir>` is intact; an `.incoming` (complete or not) is discarded — the log never
 *             recorded this snapshot (the server saves it there only after restore finished);
 *   after 2, before 3: `<dir>` is missing: finish with `.incoming` if it carries the marker,
 *             otherwise (impossible by the order above, but checked) put `.old` back;
 *   after 3: only `.old` is left over: delete it.
 */
export function incomingDir(dir: string): string {
  return `${dir}.incoming`;
}

export function oldDir(dir: string): string {
  return `${dir}.old`;
}

export async function hasRestoreMarker(path: string, disk: StorageDisk): Promise<boolean> {
  let opened: Awaited<ReturnType<StorageDisk['openDatabase']>>;
  try {
    opened = await disk.openDatabase(path, { createIfMissing: false });
  } catch {
    return false;
  }
  try {
    return (await opened.db.get(restoreMarkerKey)) !== undefined;
  } catch {
    return false;
  } finally {
    await opened.db.close();
  }
}

export async function recoverInterruptedRestore(dir: string, context: { logger: StorageLogger; disk: StorageDisk }): Promise<void> {
  const { logger, disk } = context;
  const incoming = incomingDir(dir);
  const old = oldDir(dir);
  if (!(await disk.exists(dir)) && (await disk.exists(old))) {
    if ((await disk.exists(incoming)) && (await hasRestoreMarker(incoming, disk))) {
      await disk.rename(incoming, dir);
      logger.warn({ path: dir }, 'finished an interrupted snapshot restore');
    } else {
      await disk.rename(old, dir);
      logger.warn({ path: dir }, 'rolled back an interrupted snapshot restore');
    }
    await disk.syncDirectory(dirname(dir));
  }
  if (await disk.exists(incoming)) {
    await disk.remove(incoming);
    logger.warn({ path: dir }, 'discarded a snapshot restore that never completed');
  }
  if (await disk.exists(old)) await disk.remove(old);
}

/** Steps 2–4 above; the caller has closed the live database and written the marker. */
export async function swapInRestoredState(dir: string, disk: StorageDisk): Promise<void> {
  await disk.rename(dir, oldDir(dir));
  await disk.rename(incomingDir(dir), dir);
  await disk.syncDirectory(dirname(dir));
  await disk.remove(oldDir(dir));
}
