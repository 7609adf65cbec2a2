/**
 * Failpoints (active only with --failpoints): a node whose fsync fails, or whose disk is full,
 * must log and exit non-zero rather than go on; a delayed fsync only slows it down.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../src/localCluster.js';
import { bytes, call, closeClients, get, tempDir } from './helpers.js';

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

  async function single(failpoints: string): Promise<LocalCluster> {
    const dir = tempDir('failpoint');
    dirs.push(dir);
    const cluster = await LocalCluster.start({ dataDir: dir.path, size: 1, extraArgs: () => ['--failpoints', failpoints] });
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

  it('keeps serving, only slower, when fsync is delayed', async () => {
    const cluster = await single('fsync-delay-ms=20');
    const leader = await cluster.waitForLeader(30_000);
    await call(leader.clientAddress, 'put', { key: bytes('slow'), value: bytes('but-sure') });
    expect((await get(leader.clientAddress, 'slow')).kv?.value.toString()).toBe('but-sure');
    expect(cluster.isRunning(1)).toBe(true);
  });
});
