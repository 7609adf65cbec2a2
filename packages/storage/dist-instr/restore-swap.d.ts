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
export declare function incomingDir(dir: string): string;
export declare function oldDir(dir: string): string;
export declare function fsyncDirectory(path: string): Promise<void>;
export declare function hasRestoreMarker(path: string): Promise<boolean>;
export declare function recoverInterruptedRestore(dir: string, logger: StorageLogger): Promise<void>;
/** Steps 2–4 above; the caller has closed the live database and written the marker. */
export declare function swapInRestoredState(dir: string): Promise<void>;
//# sourceMappingURL=restore-swap.d.ts.map