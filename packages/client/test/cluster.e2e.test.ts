// End to end against real node processes on loopback (needs packages/server built).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '@holdfast/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompareFailedError, compare, createClient, type HoldfastClient, op } from '../src/index.js';

describe('a client against a local 3-node cluster', () => {
  let dataDir: string;
  let cluster: LocalCluster | undefined;
  let client: HoldfastClient | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'holdfast-client-e2e-'));
    cluster = await LocalCluster.start({ dataDir, size: 3, logLevel: 'warn' });
    await cluster.waitForLeader(20_000);
    // Generous: the machine running the tests may be busy, and a deadline here is not what is tested.
    client = createClient({ endpoints: cluster.endpoints(), deadlineMs: 30_000 });
  });

  afterAll(async () => {
    client?.close();
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes, reads, guards, deletes, ranges and runs transactions', async () => {
    const c = client!;
    const first = await c.put('e2e/a', 'one');
    expect((await c.get('e2e/a'))?.valueString()).toBe('one');
    await expect(c.put('e2e/a', 'two', { ifAbsent: true })).rejects.toBeInstanceOf(CompareFailedError);
    const second = await c.put('e2e/a', 'two', { ifModRevision: first.revision, prevKv: true });
    expect(second.prevKv?.valueString()).toBe('one');
    await c.put('e2e/b', 'bee');
    const keys = [];
    for await (const kv of c.rangeAll({ prefix: 'e2e/' }, { limit: 1 })) keys.push(kv.keyString());
    expect(keys).toEqual(['e2e/a', 'e2e/b']);
    const txn = await c.txn({
      compare: [compare.modRevision('e2e/a', '=', second.revision)],
      success: [op.put('e2e/a', 'three'), op.get('e2e/b')],
      failure: [],
    });
    expect(txn.succeeded).toBe(true);
    expect(txn.results[1]?.type === 'get' && txn.results[1].kv?.valueString()).toBe('bee');
    expect((await c.delete('e2e/b')).deleted).toBe(true);
    expect(await c.get('e2e/b')).toBeUndefined();
  });

  it('pipelines many concurrent writes and applies each exactly once', async () => {
    const c = client!;
    const writes = Array.from({ length: 200 }, (_, index) => c.put('e2e/counter', String(index)));
    await Promise.all(writes);
    expect((await c.get('e2e/counter'))?.version).toBe(200);
  });

  it('keeps acknowledged writes and keeps serving after the leader is killed', async () => {
    const c = client!;
    const local = cluster!;
    const before = await local.waitForLeader();
    for (let index = 0; index < 20; index++) await c.put('e2e/failover', String(index));
    await local.kill(before.id, 'SIGKILL');
    // Every write is retried through the election with the same session, so each applies once.
    for (let index = 20; index < 40; index++) await c.put('e2e/failover', String(index));
    const kv = await c.get('e2e/failover');
    expect(kv?.valueString()).toBe('39');
    expect(kv?.version).toBe(40);
    const status = await c.status();
    expect(status.leaderId).not.toBe(0);
    expect(status.leaderId).not.toBe(before.id);
  }, 60_000);
});
