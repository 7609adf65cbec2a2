/**
 * The read mode a data dir last ran with (`<data-dir>/read-mode`), for the vote a member holds
 * back after it starts (driver campaignHoldTicks).
 *
 * A lease-mode leader's lease counts on every voter of the quorum that confirmed it answering no
 * campaign for an election timeout, also across a restart: the restarted process may have
 * acknowledged the round just before it went down. A process in lease mode holds back; so must a
 * process in read-index mode whose earlier process ran lease mode (the leader learns the new
 * mode only when the new process dials it). A member whose data dir ran read-index mode before
 * (and runs it now) was never counted by a lease and holds nothing back, so clusters that never
 * use lease mode elect as fast as before. Written (and synced) at every start, before the member
 * can acknowledge anything.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileDurablySync } from '@holdfast/storage';

export type ReadMode = 'read-index' | 'lease';

const MARKER = 'read-mode';

/** The mode the data dir's last process ran with; undefined when none was written (a new dir, or an older release). */
export function readReadModeMarker(dataDir: string): ReadMode | undefined {
  const file = path.join(dataDir, MARKER);
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8').trim();
  // Anything else (a torn write) counts as unknown: the caller then holds back, the safe side.
  return text === 'lease' || text === 'read-index' ? text : undefined;
}

export function writeReadModeMarker(dataDir: string, mode: ReadMode): void {
  writeFileDurablySync(path.join(dataDir, MARKER), `${mode}\n`);
}

/**
 * Whether this process answers no campaign for an election timeout after it starts: in lease
 * mode; after a process that ran lease mode; and when the data dir holds state but says nothing
 * of its last mode (an earlier release, or a torn marker), since that process may have run lease.
 */
export function holdsVotesAtStart(options: { mode: ReadMode; previous: ReadMode | undefined; hadState: boolean }): boolean {
  if (options.mode === 'lease' || options.previous === 'lease') return true;
  return options.previous === undefined && options.hadState;
}
