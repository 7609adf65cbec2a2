import { Prng } from '@holdfast/raft';
import { LevelLogStorage } from '@holdfast/storage';
import { describe, expect, it } from 'vitest';
import { SimScheduler, SimStorageDisk } from '../src/index.js';
import { drainMicrotasks, MemberTime } from '../src/real/scheduler.js';

const entry = (index: number, term = 1) => ({ type: 'normal' as const, index, term, data: new Uint8Array([index]) });

function disk(): { disk: SimStorageDisk; scheduler: SimScheduler } {
  const scheduler = new SimScheduler(10_000);
  const time = new MemberTime(scheduler);
  return { disk: new SimStorageDisk(new Prng(1), (ms) => time.sleep(ms)), scheduler };
}

/** The simulated disk under the production log store: what a crash keeps and what it reports. */
describe('SimStorageDisk', () => {
  it('keeps synced writes across a crash and loses unsynced ones', async () => {
    const { disk: d } = disk();
    const log = await LevelLogStorage.open({ dir: '/n1/log', disk: d });
    await log.save({ hardState: { term: 1, vote: 1, commit: 0 }, entries: [entry(1), entry(2)], sync: true });
    await log.save({ entries: [entry(3)], sync: false });
    d.crash({ keepUnsynced: () => 0 });
    const reopened = await LevelLogStorage.open({ dir: '/n1/log', disk: d });
    expect(reopened.lastIndex()).toBe(2);
    expect(reopened.hardState()).toEqual({ term: 1, vote: 1, commit: 0 });
  });

  it('keeps a prefix of the unsynced writes when the crash says so', async () => {
    const { disk: d } = disk();
    const log = await LevelLogStorage.open({ dir: '/n1/log', disk: d });
    await log.save({ entries: [entry(1)], sync: true });
    await log.save({ entries: [entry(2)], sync: false });
    await log.save({ entries: [entry(3)], sync: false });
    const { lost } = d.crash({ keepUnsynced: (pending) => pending - 1 });
    expect(lost).toBe(1);
    expect((await LevelLogStorage.open({ dir: '/n1/log', disk: d })).lastIndex()).toBe(2);
  });

  it('tears the last synced write of the log at a crash and reports it as LevelDB does', async () => {
    const { disk: d } = disk();
    const log = await LevelLogStorage.open({ dir: '/n1/log', disk: d });
    await log.save({ entries: [entry(1)], sync: true });
    await log.save({ entries: [entry(2)], sync: true });
    expect(d.crash({ keepUnsynced: () => 0, tearPath: '/n1/log' }).torn).toBe(true);
    const reopened = await LevelLogStorage.open({ dir: '/n1/log', disk: d });
    expect(reopened.lastIndex()).toBe(1);
    expect(reopened.droppedAtOpen.bytes).toBeGreaterThan(0);
    expect(reopened.droppedAtOpen.reports[0]).toMatch(/dropping \d+ bytes/);
  });

  it('fails writes while the disk is full and after a failed fsync, until the process restarts', async () => {
    const { disk: d } = disk();
    const log = await LevelLogStorage.open({ dir: '/n1/log', disk: d });
    d.conditions.full = true;
    await expect(log.save({ entries: [entry(1)], sync: true })).rejects.toThrow(/no space left/);
    d.conditions.full = false;
    d.conditions.fsyncFails = true;
    const second = await LevelLogStorage.open({ dir: '/n1/other', disk: d });
    await expect(second.save({ entries: [entry(1)], sync: true })).rejects.toThrow(/fsync/);
    d.conditions.fsyncFails = false;
    await expect(second.save({ entries: [entry(1)], sync: false })).rejects.toThrow(/earlier fsync failed/);
  });

  it('finishes a synced write only after its simulated latency', async () => {
    const { disk: d, scheduler } = disk();
    d.conditions.syncLatencyMsMax = 50;
    const log = await LevelLogStorage.open({ dir: '/n1/log', disk: d });
    let done = false;
    void log.save({ entries: [entry(1)], sync: true }).then(() => {
      done = true;
    });
    await drainMicrotasks();
    await scheduler.runUntil(50);
    expect(done).toBe(true);
    expect(scheduler.eventsRun).toBe(1);
  });

  it('damages a record at rest: the log store finds a flipped bit when it opens', async () => {
    const { disk: d } = disk();
    const log = await LevelLogStorage.open({ dir: '/n1/log', disk: d });
    await log.save({ entries: [entry(1), entry(2), entry(3)], sync: true });
    d.crash({ keepUnsynced: () => 0 });
    const entryKeys = (keys: readonly string[]) => keys.filter((key) => key.startsWith('e'));
    const description = d.damageAtRest('/n1/log', 'bitFlip', (keys) => entryKeys(keys)[1]);
    expect(description).toMatch(/flipped a bit/);
    await expect(LevelLogStorage.open({ dir: '/n1/log', disk: d })).rejects.toThrow();
  });
});
