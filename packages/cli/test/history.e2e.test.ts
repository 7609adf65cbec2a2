// The key history against real node processes on loopback (needs the packages built): reads at a
// past revision on every member, compaction under load with watches open, a watch resumed from
// the history on disk after every member restarted, CompactedError, retention, and the CLI lines.
import { CompactedError, createClient, type HoldfastClient, WatchCompactedError } from '@holdfast/client';
import type { LocalCluster } from '@holdfast/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliCluster, type Run } from './helpers.js';

/** A seeded generator (mulberry32): the same writes on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Model = Map<string, string>;

/**
 * A serializable range at `revision` on the one member `member` talks to. That member answers
 * from what it applied: a revision it has not reached yet is refused (in the future), so it is
 * asked again until it has.
 */
async function rangeOnceApplied(member: HoldfastClient, revision: number): Promise<Awaited<ReturnType<HoldfastClient['range']>>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await member.range({ prefix: 'm/' }, { revision, consistency: 'serializable' });
    } catch (error) {
      if (!/in the future/.test(String(error)) || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
const sortedEntries = (model: Model): string[] => [...model.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`);

describe('key history', () => {
  let fixture: CliCluster;
  let cluster: LocalCluster;
  let client: HoldfastClient;

  beforeAll(async () => {
    fixture = await CliCluster.start({ name: 'history', extraArgs: () => ['--delete-range-keys-max', '50'] });
    cluster = fixture.cluster;
    client = createClient({ endpoints: cluster.endpoints() });
  }, 60_000);

  afterAll(async () => {
    await client?.close();
    await fixture?.close();
  });

  const holdfast = (...argv: string[]): Promise<Run> => fixture.holdfast(...argv);

  it('answers a get and a range at every past revision with what was there, on every member', async () => {
    const random = seeded(12);
    const model: Model = new Map();
    const states = new Map<number, string[]>();
    for (let i = 0; i < 120; i++) {
      const key = `m/${Math.floor(random() * 8)}`;
      const choice = random();
      let revision: number;
      if (choice < 0.7) {
        const value = `v${i}`;
        revision = (await client.put(key, value)).revision;
        model.set(key, value);
      } else if (choice < 0.95) {
        const result = await client.delete(key);
        if (!result.deleted) continue;
        revision = result.revision;
        model.delete(key);
      } else {
        const result = await client.deleteRange({ prefix: 'm/' });
        if (result.deleted === 0) continue;
        revision = result.revision;
        model.clear();
      }
      states.set(revision, sortedEntries(model));
    }
    const members = cluster.endpoints().map((endpoint) => createClient({ endpoints: [endpoint] }));
    try {
      for (const [revision, expected] of states) {
        const serializable = members[revision % members.length]!;
        const page = await rangeOnceApplied(serializable, revision);
        expect(page.kvs.map((kv) => `${kv.keyString()}=${kv.valueString()}`), `revision ${revision}`).toEqual(expected);
        const key = `m/${revision % 8}`;
        const kv = await client.get(key, { revision });
        const value = expected.find((entry) => entry.startsWith(`${key}=`))?.slice(key.length + 1);
        expect(kv?.valueString(), `${key} at ${revision}`).toBe(value);
      }
    } finally {
      await Promise.all(members.map((member) => member.close()));
    }
  }, 60_000);

  it('compacts under load with watches open: every change told once in order with its prevKv, reads below refused', async () => {
    const start = (await client.put('load/seed', '0')).revision;
    const watch = client.watch({ prefix: 'load/' }, { startRevision: start + 1, prevKv: true });
    const seen: { key: string; value: string; revision: number; previous: string | undefined }[] = [];
    const watching = (async () => {
      for await (const batch of watch) {
        for (const event of batch.events) {
          seen.push({ key: event.kv.keyString(), value: event.kv.valueString(), revision: event.kv.modRevision, previous: event.prevKv?.valueString() });
        }
      }
    })();
    const writes = 300;
    const writers = [0, 1, 2].map(async (writer) => {
      for (let i = writer; i < writes; i += 3) await client.put(`load/${i % 10}`, `${i}`);
    });
    const compactions = (async () => {
      for (let round = 0; round < 5; round++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        const now = (await client.range({ prefix: 'load/seed' })).header.revision;
        if (now - 20 > start) await client.compact(now - 20, { deadlineMs: 20_000 }).catch((error: unknown) => expect(error).toBeInstanceOf(CompactedError));
      }
    })();
    await Promise.all([...writers, compactions]);
    const last = (await client.put('load/done', 'x')).revision;
    while (seen.length < writes + 1) await new Promise((resolve) => setTimeout(resolve, 20));
    watch.close();
    await watching;
    const revisions = seen.map((event) => event.revision);
    expect(revisions).toEqual([...revisions].sort((a, b) => a - b));
    expect(new Set(revisions).size).toBe(writes + 1);
    expect(revisions.at(-1)).toBe(last);
    // Each put's prevKv is the value the watch told for that key before it.
    const lastValue = new Map<string, string>();
    for (const event of seen) {
      if (lastValue.has(event.key)) expect(event.previous, `${event.key}@${event.revision}`).toBe(lastValue.get(event.key));
      lastValue.set(event.key, event.value);
    }
    const final = await client.compact(last - 5, { deadlineMs: 20_000 });
    await expect(client.get('load/1', { revision: final.compactRevision - 1 })).rejects.toBeInstanceOf(CompactedError);
    await expect(client.get('load/1', { revision: final.compactRevision - 1 })).rejects.toThrow(/is compacted: the history holds revisions from/);
    expect((await client.get('load/done', { revision: last }))?.valueString()).toBe('x');
    const late = client.watch({ prefix: 'load/' }, { startRevision: start });
    await expect((async () => {
      for await (const _batch of late) break;
    })()).rejects.toBeInstanceOf(WatchCompactedError);
    // Every member applies the compaction (followers a little later than the leader answered).
    const deadline = Date.now() + 20_000;
    let compacted: number[] = [];
    do {
      compacted = (await client.status()).members.map((member) => member.compactRevision);
      if (compacted.every((revision) => revision === final.compactRevision)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } while (Date.now() < deadline);
    expect(compacted).toEqual(cluster.members.map(() => final.compactRevision));
  }, 60_000);

  it('resumes a watch from the history on disk after every member restarted', async () => {
    const first = (await client.put('disk/a', '1')).revision;
    await client.put('disk/a', '2');
    await client.delete('disk/a');
    for (const member of cluster.members) await cluster.restart(member.id);
    await cluster.waitForLeader(20_000);
    const watched = await holdfast('watch', '--prefix', 'disk/', '--rev', String(first), '--count', '3', '--prev-kv');
    expect(watched.code, watched.err).toBe(0);
    expect(watched.out.split('\n').filter((line) => line !== '')).toEqual([
      `put disk/a = 1  (revision ${first})`,
      `put disk/a = 2  (revision ${first + 1})  previous: 1 (revision ${first})`,
      `delete disk/a  (revision ${first + 2})  previous: 2 (revision ${first + 1})`,
    ]);
  }, 60_000);

  it('get --rev, range --rev, del --prefix and compact on the command line', async () => {
    const put = await holdfast('put', 'cli/a', 'old');
    const revision = Number(/revision (\d+)/.exec(put.out)?.[1]);
    await holdfast('put', 'cli/b', 'x');
    await holdfast('put', 'cli/a', 'new');
    expect((await holdfast('get', 'cli/a', '--rev', String(revision))).out).toBe('old\n');
    expect((await holdfast('range', '--prefix', 'cli/', '--rev', String(revision))).out).toBe('cli/a\told\n');
    const deleted = await holdfast('del', 'cli/', '--prefix', '--prev-kv');
    expect(deleted.out).toMatch(/^deleted 2 keys \(revision \d+\)\nprevious: cli\/a = new\nprevious: cli\/b = x\n$/);
    expect((await holdfast('range', '--prefix', 'cli/')).out).toBe('');
    const now = Number(/revision (\d+)/.exec(deleted.out)?.[1]);
    expect((await holdfast('compact', String(now))).out).toBe(`compacted: revisions below ${now} are gone\n`);
    const refused = await holdfast('get', 'cli/a', '--rev', String(revision));
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^CompactedError: revision \d+ is compacted/);
    for (let i = 0; i < 51; i++) await client.put(`many/${i}`, 'x');
    const tooMany = await holdfast('del', 'many/', '--prefix');
    expect(tooMany.code).toBe(1);
    expect(tooMany.err).toMatch(/more than 50 keys are in range/);
    expect((await holdfast('status')).out).toMatch(/history: 1: \d+ keys, history from revision \d+/);
    fixture.signalStop();
  }, 60_000);
});
