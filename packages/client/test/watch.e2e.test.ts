// Watches through the SDK against real node processes on loopback (needs packages/server built).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '@holdfast/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type HoldfastClient, type Watch, type WatchBatch, WatchCompactedError } from '../src/index.js';

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

async function until(condition: () => boolean, what: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('watches through the SDK on a local 3-node cluster', () => {
  let dataDir: string;
  let cluster: LocalCluster | undefined;
  let client: HoldfastClient | undefined;

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
    // The watch is established once a change made after it is seen.
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
  }, 90_000);

  it('replays from a past revision, and ends with WatchCompactedError when no member keeps it', async () => {
    const c = client!;
    const a = await c.put('r/a', '1');
    await c.put('r/b', '2');
    const replay = c.watch({ start: 'r/a', end: 'r/z' }, { startRevision: a.revision });
    const { seen } = collect(replay);
    await until(() => seen.length >= 2, () => `seen ${JSON.stringify(seen)}`);
    expect(seen.slice(0, 2)).toEqual([`put r/a=1@${a.revision}`, `put r/b=2@${a.revision + 1}`]);
    expect(replay.nextRevision).toBeGreaterThan(a.revision + 1);
    replay.close();

    // Every member keeps its last 1000 changes; revision 1 is long gone from all of them.
    for (let i = 0; i < 1100; i += 100) await Promise.all(Array.from({ length: 100 }, (_, j) => c.put(`bulk/${i + j}`, 'x')));
    const old = c.watch({ prefix: 'r/' }, { startRevision: 1 });
    const { done } = collect(old);
    expect(await done).toBeInstanceOf(WatchCompactedError);
  }, 90_000);
});
