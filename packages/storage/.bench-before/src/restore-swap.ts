import { open as openFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Level } from 'level';
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

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export async function fsyncDirectory(path: string): Promise<void> {
  const handle = await openFile(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function hasRestoreMarker(path: string): Promise<boolean> {
  const db = new Level<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' });
  try {
    await db.open({ createIfMissing: false });
    return (await db.get(restoreMarkerKey)) !== undefined;
  } catch {
    return false;
  } finally {
    await db.close();
  }
}

export async function recoverInterruptedRestore(dir: string, logger: StorageLogger): Promise<void> {
  const incoming = incomingDir(dir);
  const old = oldDir(dir);
  if (!(await exists(dir)) && (await exists(old))) {
    if ((await exists(incoming)) && (await hasRestoreMarker(incoming))) {
      await rename(incoming, dir);
      logger.warn({ path: dir }, 'finished an interrupted snapshot restore');
    } else {
      await rename(old, dir);
      logger.warn({ path: dir }, 'rolled back an interrupted snapshot restore');
    }
    await fsyncDirectory(dirname(dir));
  }
  if (await exists(incoming)) {
    await rm(incoming, { recursive: true, force: true });
    logger.warn({ path: dir }, 'discarded a snapshot restore that never completed');
  }
  if (await exists(old)) await rm(old, { recursive: true, force: true });
}

/** Steps 2–4 above; the caller has closed the live database and written the marker. */
export async function swapInRestoredState(dir: string): Promise<void> {
  await rename(dir, oldDir(dir));
  await rename(incomingDir(dir), dir);
  await fsyncDirectory(dirname(dir));
  await rm(oldDir(dir), { recursive: true, force: true });
}
