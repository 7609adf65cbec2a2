/**
 * A note in the data dir saying which backup file seeded it (--restore-backup), so that a node
 * restarted with the flag still on its command line (a unit file, a container spec) starts from
 * its data as usual instead of refusing: like --initial-cluster, the flag only acts on the first
 * start. The file is named by its resolved path, size and modification time: cheap to check at
 * every start, and a file replaced by another backup no longer matches.
 */
import { readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeFileDurablySync } from '@holdfast/storage';

const MARKER_FILE = 'restored-from-backup.json';

export interface BackupIdentity {
  readonly file: string;
  readonly bytes: number;
  readonly modifiedMs: number;
}

export function backupIdentity(file: string): BackupIdentity {
  const stats = statSync(file);
  return { file: resolve(file), bytes: stats.size, modifiedMs: Math.trunc(stats.mtimeMs) };
}

/** The backup that seeded this data dir, or undefined if none did (or the note is unreadable). */
export function readRestoreMarker(dataDir: string): BackupIdentity | undefined {
  try {
    const parsed = JSON.parse(readFileSync(join(dataDir, MARKER_FILE), 'utf8')) as Partial<BackupIdentity>;
    const { file, bytes, modifiedMs } = parsed;
    if (typeof file !== 'string' || typeof bytes !== 'number' || typeof modifiedMs !== 'number') return undefined;
    return { file, bytes, modifiedMs };
  } catch {
    return undefined;
  }
}

export function sameBackup(a: BackupIdentity, b: BackupIdentity): boolean {
  return a.file === b.file && a.bytes === b.bytes && a.modifiedMs === b.modifiedMs;
}

/** Writes the note durably (temporary file, fsync, rename, fsync of the directory). */
export function writeRestoreMarker(dataDir: string, identity: BackupIdentity): void {
  writeFileDurablySync(join(dataDir, MARKER_FILE), `${JSON.stringify(identity)}\n`);
}
