/**
 * Failpoints (active only with --failpoints): a node whose fsync fails, or whose disk is full,
 * must log and exit non-zero rather than go on; a delayed fsync only slows it down.
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../src/localCluster.js';
import { bytes, type CallError, call, closeClients, get, tempDir } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForExit(cluster: LocalCluster, id: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (cluster.isRunning(id)) {
    if (Date.now() > deadline) throw new Error(`node ${id} still running after ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe('failpoints', () => {
  const dirs: { remove(): void }[] = [];
  const clusters: LocalCluster[] = [];

  afterAll(async () => {
    await Promise.all(clusters.map((c) => c.stop()));
    closeClients();
    for (const dir of dirs) dir.remove();
  });

  async function single(failpoints: string, more: readonly string[] = []): Promise<LocalCluster> {
    const dir = tempDir('failpoint');
    dirs.push(dir);
    // Some of these nodes exit at their first fsync, before they could answer.
    const cluster = await LocalCluster.start({
      dataDir: dir.path,
      size: 1,
      awaitServing: false,
      extraArgs: () => ['--failpoints', failpoints, ...more],
    });
    clusters.push(cluster);
    return cluster;
  }

  it('stops the node with a non-zero exit when fsync fails or the disk is full', async () => {
    const [fsyncFail, diskFull] = await Promise.all([single('fsync-fail'), single('disk-full')]);
    await Promise.all([waitForExit(fsyncFail, 1, 30_000), waitForExit(diskFull, 1, 30_000)]);
    expect(fsyncFail.exitCode(1)).toBe(1);
    expect(diskFull.exitCode(1)).toBe(1);
    expect(readFileSync(fsyncFail.member(1).logFile, 'utf8')).toMatch(/fsync-fail/);
    expect(readFileSync(diskFull.member(1).logFile, 'utf8')).toMatch(/disk-full/);
  });

  it('keeps serving, only slower, when fsync is delayed; a full proposal queue answers RESOURCE_EXHAUSTED', async () => {
    const cluster = await single('fsync-delay-ms=200', ['--pending-proposals-max', '2']);
    const leader = await cluster.waitForLeader(30_000);
    await call(leader.clientAddress, 'put', { key: bytes('slow'), value: bytes('but-sure') });
    expect((await get(leader.clientAddress, 'slow')).kv?.value.toString()).toBe('but-sure');

    // Ten writes at once against a queue of two while each fsync takes 200 ms.
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(leader.clientAddress, 'put', { key: bytes(`burst-${i}`), value: bytes('x') }).then(
          () => ({ i, ok: true, code: 0, kind: '' }),
          (error: CallError) => ({ i, ok: false, code: error.code, kind: error.kind }),
        ),
      ),
    );
    const refused = outcomes.filter((o) => !o.ok);
    expect(outcomes.some((o) => o.ok)).toBe(true);
    expect(refused.length).toBeGreaterThan(0);
    for (const o of refused) {
      expect({ code: o.code, kind: o.kind }).toEqual({ code: grpc.status.RESOURCE_EXHAUSTED, kind: 'overloaded' });
      expect((await get(leader.clientAddress, `burst-${o.i}`)).found).toBe(false);
    }
    expect(cluster.isRunning(1)).toBe(true);
  });
});
