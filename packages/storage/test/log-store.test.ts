import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  LevelLogStorage,
  LogCompactedError,
  LogConflictError,
  LogCorruptionError,
  LogUnavailableError,
} from '../src/index.js';
import { entryKey } from '../src/log-store.js';
import type { Entry } from '../src/raft-types.js';
import { makeTempDir, normalEntry, recordingLogger, withRawDb } from './helpers.js';

function entriesFrom(options: { first: number; last: number; term: number }): Entry[] {
  const entries: Entry[] = [];
  for (let index = options.first; index <= options.last; index++) entries.push(normalEntry({ index, term: options.term }));
  return entries;
}

describe('LevelLogStorage', () => {
  let dir: string;
  let remove: () => Promise<void>;
  const open = (logger = recordingLogger()) => LevelLogStorage.open({ dir, logger });

  beforeEach(async () => {
    ({ dir, remove } = await makeTempDir());
  });
  afterEach(async () => {
    await remove();
  });

  async function writeLog(entries: Entry[], commit = 0): Promise<void> {
    const log = await open();
    await log.save({ entries, hardState: { term: 1, vote: 2, commit }, sync: true });
    await log.close();
  }

  it('keeps hard state and entries across a reopen', async () => {
    const log = await open();
    expect(log.isEmpty()).toBe(true);
    await log.save({ entries: entriesFrom({ first: 1, last: 3, term: 1 }), hardState: { term: 1, vote: 3, commit: 2 }, sync: true });
    await log.close();

    const reopened = await open();
    expect(reopened.isEmpty()).toBe(false);
    expect(reopened.initialState().hardState).toEqual({ term: 1, vote: 3, commit: 2 });
    expect(reopened.firstIndex()).toBe(1);
    expect(reopened.lastIndex()).toBe(3);
    expect(reopened.entries(1, 4, Number.MAX_SAFE_INTEGER)).toEqual(entriesFrom({ first: 1, last: 3, term: 1 }));
    await reopened.close();
  });

  it('drops a conflicting suffix when entries overwrite it', async () => {
    const log = await open();
    await log.save({ entries: entriesFrom({ first: 1, last: 5, term: 1 }), sync: true });
    await log.save({ entries: entriesFrom({ first: 3, last: 4, term: 2 }), sync: true });
    expect(log.lastIndex()).toBe(4);
    expect(log.term(2)).toBe(1);
    expect(log.term(3)).toBe(2);
    await log.close();

    const reopened = await open();
    expect(reopened.lastIndex()).toBe(4);
    expect(reopened.term(4)).toBe(2);
    expect(() => reopened.term(5)).toThrow(LogUnavailableError);
    await reopened.close();
    await withRawDb(dir, async (db) => {
      expect(await db.get(entryKey(5))).toBeUndefined();
    });
  });

  it('refuses entries that would leave a gap and changes nothing', async () => {
    const log = await open();
    await log.save({ entries: entriesFrom({ first: 1, last: 2, term: 1 }), sync: true });
    await expect(log.save({ entries: entriesFrom({ first: 4, last: 5, term: 1 }), sync: true })).rejects.toThrow(LogConflictError);
    expect(log.lastIndex()).toBe(2);
    await log.close();
  });

  it('returns at least one entry and stays within bytesMax beyond it', async () => {
    const log = await open();
    await log.save({ entries: entriesFrom({ first: 1, last: 10, term: 1 }), sync: true });
    expect(log.entries(1, 11, 0)).toHaveLength(1);
    const one = log.entriesBytes() / 10;
    expect(log.entries(1, 11, one * 3)).toHaveLength(3);
    await log.close();
  });

  it('cuts a partially written last entry on open and reports it', async () => {
    await writeLog(entriesFrom({ first: 1, last: 5, term: 1 }), 4);
    await withRawDb(dir, async (db) => {
      const stored = (await db.get(entryKey(5)))!;
      await db.put(entryKey(5), stored.subarray(0, stored.byteLength - 3));
    });
    const logger = recordingLogger();
    const log = await open(logger);
    expect(log.lastIndex()).toBe(4);
    expect(logger.warnings).toContain('cut damaged records from the end of the log');
    await log.close();
    await withRawDb(dir, async (db) => {
      expect(await db.get(entryKey(5))).toBeUndefined();
    });
  });

  it('cuts several last entries whose checksums fail when they are above the commit index', async () => {
    await writeLog(entriesFrom({ first: 1, last: 5, term: 1 }), 3);
    await withRawDb(dir, async (db) => {
      for (const index of [4, 5]) {
        const stored = Buffer.from((await db.get(entryKey(index)))!);
        stored[stored.byteLength - 1]! ^= 0xff;
        await db.put(entryKey(index), stored);
      }
    });
    const logger = recordingLogger();
    const log = await open(logger);
    expect(log.lastIndex()).toBe(3);
    expect(log.initialState().hardState.commit).toBe(3);
    expect(logger.warnings).toContain('cut damaged records from the end of the log');
    await log.close();
  });

  it('refuses to start when a torn tail would cut committed entries (synced data was lost)', async () => {
    await writeLog(entriesFrom({ first: 1, last: 5, term: 1 }), 5);
    await withRawDb(dir, async (db) => {
      for (const index of [4, 5]) {
        const stored = Buffer.from((await db.get(entryKey(index)))!);
        stored[stored.byteLength - 1]! ^= 0xff;
        await db.put(entryKey(index), stored);
      }
    });
    await expect(open(recordingLogger())).rejects.toThrow(/committed entries up to 5/);
    await expect(open(recordingLogger())).rejects.toThrow(LogCorruptionError);
  });

  it('refuses a bad entry in the middle of the log, naming the path and the index', async () => {
    await writeLog(entriesFrom({ first: 1, last: 5, term: 1 }));
    await withRawDb(dir, async (db) => {
      const stored = Buffer.from((await db.get(entryKey(3)))!);
      stored[stored.byteLength - 1]! ^= 0x01;
      await db.put(entryKey(3), stored);
    });
    const error = await open().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LogCorruptionError);
    expect((error as LogCorruptionError).message).toContain(dir);
    expect((error as LogCorruptionError).message).toContain('index 3');
    expect((error as LogCorruptionError).index).toBe(3);
  });

  it('refuses meta records moved under one another\'s keys (a swap at rest passes every checksum)', async () => {
    const encoder = new TextEncoder();
    const swap = async (a: Uint8Array, b: Uint8Array): Promise<void> => {
      await withRawDb(dir, async (db) => {
        const [first, second] = [(await db.get(a))!, (await db.get(b))!];
        await db.put(a, second);
        await db.put(b, first);
      });
    };
    const log = await open();
    await log.save({
      entries: entriesFrom({ first: 1, last: 3, term: 1 }),
      hardState: { term: 1, vote: 2, commit: 2 },
      confState: { voters: [1, 2, 3], learners: [] },
      sync: true,
    });
    await log.close();
    // Hard state and membership swapped: neither is taken as the other.
    await swap(encoder.encode('h'), encoder.encode('c'));
    await expect(open()).rejects.toThrow(/hard state record holds something else/);
    await swap(encoder.encode('h'), encoder.encode('c'));
    const restored = await open();
    expect(restored.initialState().confState).toEqual({ voters: [1, 2, 3], learners: [] });
    await restored.close();
    // An entry under the membership's key (and the membership under the entry's): refused too.
    await swap(encoder.encode('c'), entryKey(2));
    await expect(open()).rejects.toThrow(LogCorruptionError);
    await expect(open()).rejects.toThrow(/conf state record holds something else/);
  });

  it('refuses a gap in the stored indexes', async () => {
    await writeLog(entriesFrom({ first: 1, last: 5, term: 1 }));
    await withRawDb(dir, async (db) => {
      await db.del(entryKey(3));
    });
    await expect(open()).rejects.toThrow(/index 3: gap in indexes/);
  });

  it('refuses a forged length even on the last entry', async () => {
    await writeLog(entriesFrom({ first: 1, last: 5, term: 1 }));
    await withRawDb(dir, async (db) => {
      const stored = Buffer.from((await db.get(entryKey(5)))!);
      stored.writeUInt32BE(stored.readUInt32BE(1) - 2, 1);
      await db.put(entryKey(5), stored);
    });
    await expect(open()).rejects.toThrow(LogCorruptionError);
    await expect(open()).rejects.toThrow(/index 5: length field/);
  });

  it('refuses a length field beyond the record limit', async () => {
    await writeLog(entriesFrom({ first: 1, last: 3, term: 1 }));
    await withRawDb(dir, async (db) => {
      const stored = Buffer.from((await db.get(entryKey(2)))!);
      stored.writeUInt32BE(0xffff_fff0, 1);
      await db.put(entryKey(2), stored);
    });
    await expect(open()).rejects.toThrow(/index 2: length field \d+ exceeds the record limit/);
  });

  it('refuses an entry stored under another index', async () => {
    await writeLog(entriesFrom({ first: 1, last: 3, term: 1 }));
    await withRawDb(dir, async (db) => {
      await db.put(entryKey(2), (await db.get(entryKey(3)))!);
    });
    await expect(open()).rejects.toThrow(/index 2: entry stored under index 2 says 3/);
  });

  it('compacts entries up to a snapshot, durably', async () => {
    const log = await open();
    await log.save({ entries: entriesFrom({ first: 1, last: 10, term: 2 }), sync: true });
    const snapshot = { meta: { index: 6, term: 2, confState: { voters: [1], learners: [] } }, data: Uint8Array.of(7) };
    await log.compact({ snapshot });
    expect(log.firstIndex()).toBe(7);
    expect(log.term(6)).toBe(2);
    expect(() => log.term(5)).toThrow(LogCompactedError);
    expect(() => log.entries(6, 8, 1000)).toThrow(LogCompactedError);
    await log.close();

    const reopened = await open();
    expect(reopened.firstIndex()).toBe(7);
    expect(reopened.lastIndex()).toBe(10);
    expect(reopened.snapshot().meta).toEqual(snapshot.meta);
    expect(Array.from(reopened.snapshot().data)).toEqual([7]);
    await reopened.close();
    await withRawDb(dir, async (db) => {
      for (let index = 1; index <= 6; index++) expect(await db.get(entryKey(index))).toBeUndefined();
    });
  });

  it('keeps entries after keepAfterIndex and replays dropped conf changes into the initial membership', async () => {
    const log = await open();
    const bootstrap: Entry[] = [1, 2, 3].map((nodeId, position) => ({
      type: 'confChange',
      term: 1,
      index: position + 1,
      change: { type: 'addVoter', nodeId },
    }));
    await log.bootstrap({ entries: bootstrap, hardState: { term: 1, vote: 0, commit: 3 } });
    await log.save({ entries: entriesFrom({ first: 4, last: 8, term: 1 }), sync: true });
    const snapshot = { meta: { index: 8, term: 1, confState: { voters: [1, 2, 3], learners: [] } }, data: new Uint8Array() };
    await log.compact({ snapshot, keepAfterIndex: 5 });
    expect(log.firstIndex()).toBe(6);
    expect(log.snapshot().meta.index).toBe(8);
    expect(log.initialState().confState).toEqual({ voters: [1, 2, 3], learners: [] });
    await log.close();
    const reopened = await open();
    expect(reopened.initialState().confState).toEqual({ voters: [1, 2, 3], learners: [] });
    expect(reopened.firstIndex()).toBe(6);
    await reopened.close();
  });

  it('refuses to bootstrap a log that is not empty', async () => {
    const log = await open();
    await log.save({ entries: entriesFrom({ first: 1, last: 1, term: 1 }), sync: true });
    await expect(log.bootstrap({ entries: [], hardState: { term: 1, vote: 0, commit: 0 } })).rejects.toThrow(LogConflictError);
    await log.close();
  });

  it('replaces the whole log with a snapshot from the leader', async () => {
    const log = await open();
    await log.save({ entries: entriesFrom({ first: 1, last: 5, term: 1 }), sync: true });
    const snapshot = { meta: { index: 20, term: 3, confState: { voters: [1, 2], learners: [4] } }, data: new Uint8Array() };
    await log.save({ snapshot, entries: entriesFrom({ first: 21, last: 22, term: 3 }), hardState: { term: 3, vote: 1, commit: 20 }, sync: true });
    expect(log.firstIndex()).toBe(21);
    expect(log.lastIndex()).toBe(22);
    expect(log.term(20)).toBe(3);
    await log.close();
    const reopened = await open();
    expect(reopened.firstIndex()).toBe(21);
    expect(reopened.lastIndex()).toBe(22);
    expect(reopened.initialState().confState).toEqual({ voters: [1, 2], learners: [4] });
    await reopened.close();
    await withRawDb(dir, async (db) => {
      for (let index = 1; index <= 5; index++) expect(await db.get(entryKey(index))).toBeUndefined();
    });
  });
});
