/**
 * What a damaged log looks like at open: LevelDB's dropped-record report (its LOG file), and the
 * term and vote kept a second time beside the log.
 */
import { cp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LevelLogStorage, parseLevelRecoveryLog, readTermVoteFile } from '../src/index.js';
import { writeTermVoteFile } from '../src/term-vote-file.js';
import { makeTempDir, normalEntry, recordingLogger, withRawDb } from './helpers.js';

const LEVELDB_DROP_LINE =
  '2026/12/03-07:23:21.706663 7f22baffd6c0 (ignoring error) /data/log/000003.log: dropping 228 bytes; Corruption: checksum mismatch';

describe("LevelDB's recovery report", () => {
  it('finds the dropped-record lines of a LOG file and adds up their bytes', () => {
    const text = [
      '2026/12/03-07:23:21.706614 7f22baffd6c0 Recovering log #3',
      LEVELDB_DROP_LINE,
      '2026/12/03-07:23:21.706700 7f22baffd6c0 (ignoring error) /data/log/000003.log: dropping 32768 bytes; Corruption: bad record length',
      '2026/12/03-07:23:21.707565 7f22baffd6c0 Level-0 table #5: 575 bytes OK',
    ].join('\n');
    const report = parseLevelRecoveryLog(text);
    expect(report.bytes).toBe(228 + 32768);
    expect(report.reports).toHaveLength(2);
    expect(parseLevelRecoveryLog('2026/12/03 Recovering log #3\n2026/12/03 Level-0 table #5: 575 bytes OK\n')).toEqual({ bytes: 0, reports: [] });
  });
});

describe('a log whose write-ahead file was damaged while the member was down', () => {
  let root: string;
  let remove: () => Promise<void>;
  beforeEach(async () => {
    ({ dir: root, remove } = await makeTempDir());
  });
  afterEach(async () => {
    await remove();
  });

  /**
   * Writes entries 1..20 one synced batch each and copies the directory while the database is
   * still open (what a killed process leaves: the write-ahead file not yet folded into a table).
   */
  async function crashedCopy(): Promise<{ copy: string; wal: string }> {
    const live = join(root, 'live');
    const log = await LevelLogStorage.open({ dir: live });
    for (let index = 1; index <= 20; index++) {
      await log.save({ entries: [normalEntry({ index, data: new Uint8Array(200).fill(index) })], hardState: { term: 1, vote: 1, commit: index }, sync: true });
    }
    const copy = join(root, 'copy');
    await cp(live, copy, { recursive: true });
    await log.close();
    await rm(join(copy, 'LOCK'), { force: true });
    const wal = (await readdir(copy)).find((name) => name.endsWith('.log'));
    if (wal === undefined) throw new Error('no write-ahead file in the copy');
    return { copy, wal: join(copy, wal) };
  }

  it('flipped bytes in the last records: LevelDB drops them and the log reports it at open', async () => {
    const { copy, wal } = await crashedCopy();
    const bytes = await readFile(wal);
    for (let offset = bytes.length - 40; offset < bytes.length - 30; offset++) bytes[offset] = bytes[offset]! ^ 0xff;
    await writeFile(wal, bytes);
    const logger = recordingLogger();
    const log = await LevelLogStorage.open({ dir: copy, logger });
    expect(log.droppedAtOpen.bytes).toBeGreaterThan(0);
    expect(log.droppedAtOpen.reports.join('\n')).toMatch(/checksum mismatch/);
    expect(logger.warnings).toContain('LevelDB dropped records of the log at open');
    // The hard state went with the entries of its batch: the log is consistent, only shorter.
    expect(log.lastIndex()).toBeLessThan(20);
    expect(log.hardState().commit).toBe(log.lastIndex());
    await log.close();
  });

  it('a write-ahead file cut inside its last record loses it silently (why the server checks log and state agree)', async () => {
    const { copy, wal } = await crashedCopy();
    const bytes = await readFile(wal);
    await writeFile(wal, bytes.subarray(0, bytes.length - 100));
    const log = await LevelLogStorage.open({ dir: copy });
    expect(log.droppedAtOpen.bytes).toBe(0);
    expect(log.lastIndex()).toBe(19);
    await log.close();
  });
});

describe('the term and vote kept in a second place', () => {
  let dir: string;
  let termVotePath: string;
  let remove: () => Promise<void>;
  beforeEach(async () => {
    let root: string;
    ({ dir: root, remove } = await makeTempDir());
    dir = join(root, 'log');
    termVotePath = join(root, 'term-vote');
  });
  afterEach(async () => {
    await remove();
  });

  it('is written when the term or vote changes, not for commit-only changes', async () => {
    const log = await LevelLogStorage.open({ dir, termVotePath });
    await log.save({ entries: [normalEntry({ index: 1 })], hardState: { term: 2, vote: 3, commit: 0 }, sync: true });
    expect(await readTermVoteFile(termVotePath)).toEqual({ kind: 'ok', termVote: { term: 2, vote: 3 } });
    await writeTermVoteFile(termVotePath, { term: 1, vote: 0 }); // a marker: must stay untouched
    await log.save({ entries: [], hardState: { term: 2, vote: 3, commit: 1 }, sync: false });
    expect(await readTermVoteFile(termVotePath)).toEqual({ kind: 'ok', termVote: { term: 1, vote: 0 } });
    await log.close();
  });

  it('a newer term and vote in the file win over the log at open', async () => {
    const log = await LevelLogStorage.open({ dir, termVotePath });
    await log.save({ entries: [normalEntry({ index: 1 })], hardState: { term: 2, vote: 3, commit: 1 }, sync: true });
    await log.close();
    // The log lost its last hard state (say, term 5 and a vote for 2); the file kept it.
    await writeTermVoteFile(termVotePath, { term: 5, vote: 2 });
    const reopened = await LevelLogStorage.open({ dir, termVotePath });
    expect(reopened.hardState()).toEqual({ term: 5, vote: 2, commit: 1 });
    expect(reopened.termVoteAtOpen).toMatchObject({ from: 'file', log: { term: 2, vote: 3 } });
    await reopened.close();
  });

  it('a wiped log starts from the file: not empty, term and vote kept, nothing committed', async () => {
    const log = await LevelLogStorage.open({ dir, termVotePath });
    await log.save({ entries: [normalEntry({ index: 1 })], hardState: { term: 4, vote: 1, commit: 1 }, sync: true });
    await log.close();
    await rm(dir, { recursive: true });
    const fresh = await LevelLogStorage.open({ dir, termVotePath });
    expect(fresh.isEmpty()).toBe(false);
    expect(fresh.hardState()).toEqual({ term: 4, vote: 1, commit: 0 });
    expect(fresh.lastIndex()).toBe(0);
    await fresh.close();
  });

  it('a log that lost its hard state record reports it, with term and vote from the file', async () => {
    const log = await LevelLogStorage.open({ dir, termVotePath });
    await log.save({ entries: [normalEntry({ index: 1, term: 4 }), normalEntry({ index: 2, term: 4 })], hardState: { term: 4, vote: 1, commit: 2 }, sync: true });
    await log.close();
    await withRawDb(dir, (db) => db.del(new TextEncoder().encode('h')));
    const damaged = await LevelLogStorage.open({ dir, termVotePath });
    expect(damaged.hardStateLostAtOpen).toMatch(/hard state record is missing, but the log holds 2 entries/);
    // The commit index is gone with it (nothing else keeps it): the caller must repair.
    expect(damaged.hardState()).toEqual({ term: 4, vote: 1, commit: 0 });
    await damaged.close();
    // A fresh log holds nothing and lost nothing.
    await rm(dir, { recursive: true });
    const fresh = await LevelLogStorage.open({ dir, termVotePath });
    expect(fresh.hardStateLostAtOpen).toBeUndefined();
    await fresh.close();
  });

  it('a damaged file, or one voting otherwise in the same term, is reported and rewritten from the log', async () => {
    const log = await LevelLogStorage.open({ dir, termVotePath });
    await log.save({ entries: [], hardState: { term: 3, vote: 1, commit: 0 }, sync: true });
    await log.close();
    const bytes = await readFile(termVotePath);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    await writeFile(termVotePath, bytes);
    const damaged = await LevelLogStorage.open({ dir, termVotePath });
    expect(damaged.termVoteAtOpen.problem).toMatch(/term\/vote file/);
    expect(damaged.hardState()).toMatchObject({ term: 3, vote: 1 });
    await damaged.close();
    expect(await readTermVoteFile(termVotePath)).toEqual({ kind: 'ok', termVote: { term: 3, vote: 1 } });
    await writeTermVoteFile(termVotePath, { term: 3, vote: 2 });
    const conflicting = await LevelLogStorage.open({ dir, termVotePath });
    expect(conflicting.termVoteAtOpen.problem).toMatch(/vote 2 in term 3/);
    await conflicting.close();
  });
});
