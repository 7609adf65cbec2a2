/**
 * LevelDB's own recovery report. At open LevelDB replays its write-ahead file; a record that fails
 * its checksum is skipped with the rest of its 32 KiB block, and the only trace is a line in the
 * database's `LOG` file (rewritten at every open, the previous one kept as `LOG.old`):
 *
 *   (ignoring error) /data/log/000003.log: dropping 228 bytes; Corruption: checksum mismatch
 *
 * A write-ahead file cut cleanly inside its last record (a torn append) is dropped silently: no
 * report covers it, which is why the server also checks that its log and state agree at start.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * What LevelDB dropped while recovering a database at open: it skips a write-ahead-log tail or
 * records that fail their checksum and says so only in its LOG file ("dropping N bytes").
 */
export interface DroppedRecords {
  /** Bytes dropped in all; 0 when nothing was. */
  readonly bytes: number;
  /** One line per report, as LevelDB (or the simulated disk) wrote it. */
  readonly reports: readonly string[];
}

export const NOTHING_DROPPED: DroppedRecords = { bytes: 0, reports: [] };

/** The recovery lines come first in LOG; later lines are compactions. Read no further than this. */
const LOG_BYTES_READ_MAX = 1024 * 1024;

const DROPPING = /dropping (\d+) bytes/i;
const CORRUPTION = /corruption|checksum mismatch/i;

/** The dropped-record lines of a LOG file's text, with the bytes they name. */
export function parseLevelRecoveryLog(text: string): DroppedRecords {
  const reports: string[] = [];
  let bytes = 0;
  for (const line of text.split('\n')) {
    const dropping = DROPPING.exec(line);
    if (dropping === null && !CORRUPTION.test(line)) continue;
    reports.push(line.trim());
    if (dropping !== null) bytes += Number(dropping[1]);
  }
  return reports.length === 0 ? NOTHING_DROPPED : { bytes, reports };
}

/**
 * What LevelDB reported dropping or finding corrupt when the database at `dir` was last opened
 * (call it right after open). A database without a LOG file reports nothing.
 */
export async function readLevelRecoveryReport(dir: string): Promise<DroppedRecords> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(join(dir, 'LOG'), 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return NOTHING_DROPPED;
    throw error;
  }
  try {
    const buffer = Buffer.alloc(LOG_BYTES_READ_MAX);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return parseLevelRecoveryLog(buffer.subarray(0, bytesRead).toString('utf8'));
  } finally {
    await handle.close();
  }
}
