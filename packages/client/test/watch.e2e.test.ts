// Watches through the SDK against real node processes on loopback (needs packages/server built).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '@holdfast/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type HoldfastClient, type Watch, type WatchBatch, WatchCompactedError } from '../src/index.js';
import { startFakeServer } from './fake-server.js';

/** Collects a watch's changes as "put key=value@revision" / "delete key@revision" until stopped. */
function collect(watch: Watch): { seen: string[]; done: Promise<unknown> } {
  const seen: string[] = [];
  const done = (async () => {
    for await (const batch of watch as AsyncIterable<WatchBatch>) {
      for (const event of batch.events) {
        seen.push(
          event.type === 'put'
            ? `put ${event.kv.keyString()}=${event.kv.valueString()}@${event.kv.modRevision}`
            : `delete ${event.kv.keyString()}@${event.kv.modRevision}`,
        );
      }
    }
  })().catch((error: unknown) => error);
  return { seen, done };
}

async function until(condition: () => boolean | Promise<boolean>, what: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('watches through the SDK on a local 3-node cluster', () => {
  let dataDir: string;
  let cluster: LocalCluster | undefined;
  let client: HoldfastClient | undefined;
  /** From the first test: a member restarted since (its watch history starts afresh), and the first change it watched. */
  let restartedId = 0;
  let firstChange = '';

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'holdfast-watch-e2e-'));
    cluster = await LocalCluster.start({ dataDir, size: 3, logLevel: 'warn', extraArgs: () => ['--watch-history-events-max', '1000'] });
    await cluster.waitForLeader(20_000);
    client = createClient({ endpoints: cluster.endpoints(), deadlineMs: 30_000 });
  });

  afterAll(async () => {
    client?.close();
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('tells every acknowledged change exactly once, in order, while the member it listens to is killed', async () => {
    const c = client!;
    const local = cluster!;
    const watch = c.watch({ prefix: 'w/' }, { idleTimeoutMs: 3000 });
    const { seen, done } = collect(watch);
    // A watch from now tells the changes after it is established (it then names its member).
    await until(() => watch.memberAddress !== undefined, () => 'the watch did not start');
    const expected: string[] = [];
    const first = await c.put('w/ready', '1');
    expected.push(`put w/ready=1@${first.revision}`);
    await until(() => seen.length >= 1, () => `seen ${JSON.stringify(seen)}`);
    await c.put('other/key', 'not watched');

    const listened = local.members.find((m) => m.clientAddress === watch.memberAddress);
    expect(listened).toBeDefined();
    for (let i = 0; i < 30; i++) {
      if (i === 10) await local.kill(listened!.id, 'SIGKILL');
      if (i % 7 === 6) {
        const deleted = await c.delete(`w/${i - 1}`);
        expected.push(`delete w/${i - 1}@${deleted.revision}`);
      } else {
        const put = await c.put(`w/${i}`, String(i));
        expected.push(`put w/${i}=${i}@${put.revision}`);
      }
    }
    await until(() => seen.length >= expected.length, () => `seen ${seen.length} of ${expected.length}`);
    expect(seen).toEqual(expected);
    watch.close();
    expect(await done).toBeUndefined();
    local.startMember(listened!.id);
    await local.waitForClusterVersion(1);
    restartedId = listened!.id;
    firstChange = expected[0]!;
  }, 90_000);

  it('moves on by itself in a client that only watches, when the member it listens to dies', async () => {
    const c = client!;
    const local = cluster!;
    const watcher = createClient({ endpoints: local.endpoints(), deadlineMs: 30_000 });
    try {
      const watch = watcher.watch({ prefix: 'solo/' }, { idleTimeoutMs: 3000 });
      const { seen, done } = collect(watch);
      await until(() => watch.memberAddress !== undefined, () => 'the watch did not start');
      const expected: string[] = [];
      const first = await c.put('solo/0', '0');
      expected.push(`put solo/0=0@${first.revision}`);
      await until(() => seen.length >= 1, () => `seen ${JSON.stringify(seen)}`);
      const listened = local.members.find((m) => m.clientAddress === watch.memberAddress);
      expect(listened).toBeDefined();
      await local.kill(listened!.id, 'SIGKILL');
      for (let i = 1; i <= 10; i++) {
        const put = await c.put(`solo/${i}`, String(i));
        expected.push(`put solo/${i}=${i}@${put.revision}`);
      }
      await until(() => seen.length >= expected.length, () => `seen ${seen.length} of ${expected.length}`);
      expect(seen).toEqual(expected);
      expect(watch.memberAddress).not.toBe(listened!.clientAddress);
      watch.close();
      expect(await done).toBeUndefined();
      local.startMember(listened!.id);
      await local.waitForClusterVersion(1);
    } finally {
      watcher.close();
    }
  }, 90_000);

  it('replays from the first revision at a member restarted since: the key history is on disk', async () => {
    const local = cluster!;
    const restarted = local.member(restartedId).clientAddress;
    const watcher = createClient({ endpoints: [restarted], deadlineMs: 30_000 });
    try {
      const watch = watcher.watch({ prefix: 'w/' }, { startRevision: 1 });
      const { seen } = collect(watch);
      await until(() => seen.length >= 1, () => `seen ${JSON.stringify(seen)}`);
      expect(seen[0]).toBe(firstChange);
      expect(watch.memberAddress).toBe(restarted);
      watch.close();
    } finally {
      watcher.close();
    }
  }, 60_000);

  it('goes on at another member when the first one it asks does not serve watches (an older release)', async () => {
    const c = client!;
    const older = await startFakeServer({});
    const watcher = createClient({ endpoints: [older.address, ...cluster!.endpoints()], deadlineMs: 30_000 });
    try {
      const watch = watcher.watch({ prefix: 'upgrade/' });
      const { seen } = collect(watch);
      await until(() => watch.memberAddress !== undefined, () => 'the watch did not start');
      expect(watch.memberAddress).not.toBe(older.address);
      const put = await c.put('upgrade/a', '1');
      await until(() => seen.length >= 1, () => `seen ${JSON.stringify(seen)}`);
      expect(seen).toEqual([`put upgrade/a=1@${put.revision}`]);
      watch.close();
    } finally {
      watcher.close();
      await older.stop();
    }
  }, 60_000);

  it('keeps a cache equal to the store with readAndWatch, while writes race the paged read', async () => {
    const c = client!;
    for (let i = 0; i < 9; i++) await c.put(`cache/${i}`, 'v0');
    // Writes racing the read: overwrites, deletes and new keys while the pages are read.
    const racing = Promise.all(
      Array.from({ length: 30 }, (_, i) => (i % 5 === 4 ? c.delete(`cache/${i % 9}`) : c.put(`cache/${i % 12}`, `v${i + 1}`))),
    );
    const { kvs, watch } = await c.readAndWatch({ prefix: 'cache/' }, { limit: 2 });
    const cache = new Map(kvs.map((kv) => [kv.keyString(), { value: kv.valueString(), modRevision: kv.modRevision }]));
    const deletedAt = new Map<string, number>();
    let applied = 0;
    const following = (async () => {
      for await (const batch of watch) {
        for (const event of batch.events) {
          const key = event.kv.keyString();
          const known = Math.max(cache.get(key)?.modRevision ?? 0, deletedAt.get(key) ?? 0);
          if (event.kv.modRevision <= known) continue;
          if (event.type === 'put') cache.set(key, { value: event.kv.valueString(), modRevision: event.kv.modRevision });
          else {
            cache.delete(key);
            deletedAt.set(key, event.kv.modRevision);
          }
        }
        applied = batch.revision;
      }
    })();
    await racing;
    const last = await c.put('cache/last', 'end');
    await until(() => applied >= last.revision, () => `cache at ${applied}, store at ${last.revision}`);
    watch.close();
    await following;
    const store = new Map<string, string>();
    for await (const kv of c.rangeAll({ prefix: 'cache/' })) store.set(kv.keyString(), kv.valueString());
    expect(new Map([...cache].map(([key, entry]) => [key, entry.value]))).toEqual(store);
  }, 60_000);

  it('replays from a past revision, and ends with WatchCompactedError below a compaction', async () => {
    const c = client!;
    const a = await c.put('r/a', '1');
    await c.put('r/b', '2');
    const replay = c.watch({ start: 'r/a', end: 'r/z' }, { startRevision: a.revision });
    const { seen } = collect(replay);
    await until(() => seen.length >= 2, () => `seen ${JSON.stringify(seen)}`);
    expect(seen.slice(0, 2)).toEqual([`put r/a=1@${a.revision}`, `put r/b=2@${a.revision + 1}`]);
    expect(replay.nextRevision).toBeGreaterThan(a.revision + 1);
    replay.close();

    // A compaction (through the log, so on every member) drops the history below its revision.
    const last = await c.put('r/c', '3');
    await c.compact(last.revision);
    // The watch may go to any member: wait until each has applied the compaction.
    await until(
      async () => (await c.status()).members.every((member) => member.compactRevision >= last.revision),
      () => 'not every member applied the compaction',
    );
    const old = c.watch({ prefix: 'r/' }, { startRevision: 1 });
    const { done } = collect(old);
    expect(await done).toBeInstanceOf(WatchCompactedError);
  }, 90_000);
});
