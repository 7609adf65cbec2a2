// End to end against real node processes on loopback (needs packages/server built).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster } from '@holdfast/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompareFailedError, compare, createClient, type HoldfastClient, op, QuotaExceededError } from '../src/index.js';

/** A small store quota, so that one test can reach it; the others write far less. */
const STORE_BYTES_MAX = 64 * 1024;

describe('a client against a local 3-node cluster', () => {
  let dataDir: string;
  let cluster: LocalCluster | undefined;
  let client: HoldfastClient | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'holdfast-client-e2e-'));
    cluster = await LocalCluster.start({ dataDir, size: 3, logLevel: 'warn', extraArgs: () => ['--store-bytes-max', String(STORE_BYTES_MAX)] });
    await cluster.waitForLeader(20_000);
    // The quota holds once the new cluster is at the apply version that brings it (version 2).
    await cluster.waitForClusterVersion(2);
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

  it('refuses a write past the store quota with QuotaExceededError, at once, and takes writes again once keys are deleted', async () => {
    const c = client!;
    const chunk = 'q'.repeat(16 * 1024);
    for (let index = 0; index < 3; index++) await c.put(`e2e/quota/${index}`, chunk);
    const started = Date.now();
    const refused = await c.put('e2e/quota/3', chunk).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(QuotaExceededError);
    expect((refused as QuotaExceededError).grpcCode).toBe(8); // RESOURCE_EXHAUSTED
    // Not retried: the answer comes back in well under the call's deadline.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await c.get('e2e/quota/3')).toBeUndefined();
    const status = await c.status();
    for (const member of status.members) {
      expect(member.storeBytesMax).toBe(STORE_BYTES_MAX);
      expect(member.storeBytes).toBeGreaterThan(3 * chunk.length);
      expect(member.storeBytes).toBeLessThanOrEqual(STORE_BYTES_MAX);
    }
    await c.delete('e2e/quota/0');
    await c.put('e2e/quota/3', chunk);
    for (let index = 1; index < 4; index++) await c.delete(`e2e/quota/${index}`);
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
