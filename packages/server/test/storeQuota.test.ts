/**
 * The store quota (--store-bytes-max) on a real three-node cluster. The leader stamps its quota
 * on every write it proposes and apply decides, so all members agree whatever their own setting:
 * here member 1 allows 100 bytes of keys and values and the others 1000.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APPLY_VERSION_QUOTA } from '@holdfast/storage';
import { LocalCluster } from '../src/localCluster.js';
import { bytes, type CallError, call, closeClients, get, metricValue, moveLeadership, tempDir } from './helpers.js';

const value = (length: number): Buffer => Buffer.alloc(length, 'v');

describe('the store quota', () => {
  const dir = tempDir('store-quota');
  let cluster: LocalCluster;

  /** The same on every member: what each holds (serializable), and its count of bytes held. */
  async function everyMember(key: string): Promise<{ found: boolean[]; storeBytes: number[] }> {
    const found: boolean[] = [];
    const storeBytes: number[] = [];
    for (const member of cluster.members) {
      // A linearizable read first: the member has then applied every acknowledged write.
      found.push((await get(member.clientAddress, key)).found);
      const text = await (await fetch(`http://${member.metricsAddress}/metrics`)).text();
      storeBytes.push(metricValue(text, 'holdfast_store_bytes'));
    }
    return { found, storeBytes };
  }

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      dataDir: dir.path,
      size: 3,
      extraArgs: (id) => ['--store-bytes-max', id === 1 ? '100' : '1000'],
    });
    await moveLeadership(cluster, 1);
    await cluster.waitForClusterVersion(APPLY_VERSION_QUOTA);
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    closeClients();
    dir.remove();
  });

  it('refuses a write that would grow past the leader quota, through any member, and changes nothing', async () => {
    await call(cluster.member(1).clientAddress, 'put', { key: bytes('k1'), value: value(60) });
    for (const member of cluster.members) {
      const error = (await call(member.clientAddress, 'put', { key: bytes('k2'), value: value(60) }).catch((e: unknown) => e)) as CallError;
      expect(error.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(error.kind).toBe('quota-exceeded');
      expect(error.message).toMatch(/add 62 bytes to the 62 bytes .* store quota is 100/);
    }
    const txn = { success: [{ put: { key: bytes('k2'), value: value(1) } }, { put: { key: bytes('k3'), value: value(60) } }] };
    expect(((await call(cluster.member(2).clientAddress, 'txn', txn).catch((e: unknown) => e)) as CallError).kind).toBe('quota-exceeded');
    expect(await everyMember('k2')).toEqual({ found: [false, false, false], storeBytes: [62, 62, 62] });
    expect((await get(cluster.member(3).clientAddress, 'k3')).found).toBe(false);

    // Writes that free or keep bytes pass at the quota; the space they free is usable at once.
    await call(cluster.member(2).clientAddress, 'put', { key: bytes('k1'), value: value(20) });
    await call(cluster.member(3).clientAddress, 'put', { key: bytes('k2'), value: value(60) });
    expect(await everyMember('k2')).toEqual({ found: [true, true, true], storeBytes: [84, 84, 84] });
    await call(cluster.member(1).clientAddress, 'delete', { key: bytes('k1') });
    expect(await everyMember('k1')).toEqual({ found: [false, false, false], storeBytes: [62, 62, 62] });
  });

  it("follows the quota of whichever member leads", async () => {
    const big = { key: bytes('big'), value: value(500) };
    expect(((await call(cluster.member(2).clientAddress, 'put', big).catch((e: unknown) => e)) as CallError).kind).toBe('quota-exceeded');
    await moveLeadership(cluster, 2);
    await call(cluster.member(1).clientAddress, 'put', big);
    expect(await everyMember('big')).toEqual({ found: [true, true, true], storeBytes: [565, 565, 565] });
  }, 60_000);
});
