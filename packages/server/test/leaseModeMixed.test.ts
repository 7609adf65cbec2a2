/**
 * Lease mode must be the same on every voter (driver/lease-terms.ts): with one member in
 * read-index mode the leader holds no lease (reads take a quorum round) and status warns, naming
 * the modes; restarted in lease mode, the member tells so in its link hello and leases resume.
 */
import type { StatusResponse__Output as StatusResponse } from '@holdfast/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster, type LocalMember } from '../src/localCluster.js';
import { bytes, call, closeClients, get, metricValue, tempDir } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('lease mode on some members only', () => {
  const dir = tempDir('lease-mixed');
  let cluster: LocalCluster;
  /** Member 3's --read-mode at its next start. */
  let thirdMode = 'read-index';

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      dataDir: dir.path,
      size: 3,
      tickMs: 10,
      electionTicks: 40,
      extraArgs: (id) => ['--read-mode', id === 3 ? thirdMode : 'lease'],
    });
    await cluster.waitForLeader();
  }, 60_000);

  afterAll(async () => {
    closeClients();
    await cluster?.stop();
    dir.remove();
  });

  async function status(member: LocalMember, localOnly = false): Promise<StatusResponse> {
    return cluster.call<StatusResponse>(member.clientAddress, 'status', { localOnly });
  }

  async function leaseReads(member: LocalMember): Promise<number> {
    return metricValue(await (await fetch(`http://${member.metricsAddress}/metrics`)).text(), 'holdfast_lease_reads_total');
  }

  /** A leader among the lease-mode members (handed over there if member 3 leads). */
  async function leaseModeLeader(): Promise<LocalMember> {
    for (;;) {
      const leader = await cluster.waitForLeader();
      if (leader.id !== 3) return leader;
      await cluster.call(leader.clientAddress, 'transferLeadership', { targetId: 1 }, 10_000).catch(() => undefined);
      await sleep(100);
    }
  }

  it('holds no lease while a voter runs read-index mode, and status names the modes', async () => {
    const leader = await leaseModeLeader();
    const before = await leaseReads(leader);
    for (let n = 0; n < 20; n += 1) {
      await call(leader.clientAddress, 'put', { key: bytes('k'), value: bytes(`v${n}`) });
      expect((await get(leader.clientAddress, 'k')).kv?.value.toString()).toBe(`v${n}`);
    }
    expect(await leaseReads(leader)).toBe(before);
    expect((await status(leader, true)).members[0]?.leaseRemainingMs).toBe(0);
    const warnings = (await status(leader)).warnings;
    expect(warnings).toEqual(expect.arrayContaining([expect.stringMatching(/members run different read modes \(lease on 1,2; read-index on 3\)/)]));
  }, 40_000);

  it('resumes leases once that voter is back in lease mode, and the warning goes', async () => {
    thirdMode = 'lease';
    await cluster.kill(3, 'SIGTERM');
    await cluster.restart(3);
    const deadline = Date.now() + 20_000;
    let leader = await leaseModeLeader();
    while ((await status(leader, true)).members[0]?.leaseRemainingMs === 0) {
      if (Date.now() > deadline) throw new Error('no lease within 20 s of every member running lease mode');
      await call(leader.clientAddress, 'put', { key: bytes('k'), value: bytes('again') }).catch(() => undefined);
      await sleep(50);
      leader = await leaseModeLeader();
    }
    const before = await leaseReads(leader);
    for (let n = 0; n < 20; n += 1) expect((await get(leader.clientAddress, 'k')).kv?.value.toString()).toBe('again');
    expect(await leaseReads(leader)).toBeGreaterThan(before);
    expect((await status(leader)).warnings.filter((w) => w.includes('read mode'))).toEqual([]);
  }, 60_000);
});
