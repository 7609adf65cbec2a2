/**
 * Lease reads (--read-mode lease, driver/lease.ts) on three real members: the leader answers
 * linearizable reads under its lease, without a quorum round, and every answer holds the writes
 * acknowledged before it; handing leadership over ends the old leader's lease at once, and the
 * new leader gets its own.
 */
import type { StatusResponse__Output as StatusResponse } from '@holdfast/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster, type LocalMember } from '../src/localCluster.js';
import { bytes, call, closeClients, get, metricValue, tempDir } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('lease reads at the leader', () => {
  const dir = tempDir('lease-reads');
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ dataDir: dir.path, size: 3, tickMs: 10, electionTicks: 40, extraArgs: () => ['--read-mode', 'lease'] });
  }, 60_000);

  afterAll(async () => {
    closeClients();
    await cluster?.stop();
    dir.remove();
  });

  async function ownStatus(member: LocalMember): Promise<StatusResponse['members'][number]> {
    const status = await cluster.call<StatusResponse>(member.clientAddress, 'status', { localOnly: true });
    return status.members[0]!;
  }

  async function metrics(member: LocalMember): Promise<{ lease: number; barriers: number }> {
    const text = await (await fetch(`http://${member.metricsAddress}/metrics`)).text();
    return { lease: metricValue(text, 'holdfast_lease_reads_total'), barriers: metricValue(text, 'holdfast_read_barriers_total') };
  }

  async function leaderWithLease(): Promise<LocalMember> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const leader = await cluster.waitForLeader();
      const own = await ownStatus(leader);
      if (own.role === 'leader' && own.leaseRemainingMs > 0) return leader;
      if (Date.now() > deadline) throw new Error('no leader held a read lease within 20 s');
      await sleep(20);
    }
  }

  it('answers linearizable reads under the lease, each holding the write acknowledged before it', async () => {
    const leader = await leaderWithLease();
    expect((await ownStatus(leader)).readMode).toBe('lease');
    const before = await metrics(leader);
    for (let n = 0; n < 50; n += 1) {
      await call(leader.clientAddress, 'put', { key: bytes('k'), value: bytes(`v${n}`) });
      expect((await get(leader.clientAddress, 'k')).kv?.value.toString()).toBe(`v${n}`);
    }
    const after = await metrics(leader);
    // Most of the 50 reads were served under the lease; the leader's own renewals are the rounds.
    expect(after.lease - before.lease).toBeGreaterThan(25);
  }, 30_000);

  it('ends the old leader’s lease when it hands leadership over; the new leader reads the latest write', async () => {
    const old = await leaderWithLease();
    const target = cluster.members.find((m) => m.id !== old.id)!;
    await call(old.clientAddress, 'put', { key: bytes('t'), value: bytes('before-transfer') });
    await cluster.call(old.clientAddress, 'transferLeadership', { targetId: target.id }, 10_000);
    expect((await ownStatus(old)).leaseRemainingMs).toBe(0);
    await call(target.clientAddress, 'put', { key: bytes('t'), value: bytes('after-transfer') });
    // Asked at the old leader (now a follower): a read index from the new leader, never its old lease.
    expect((await get(old.clientAddress, 't')).kv?.value.toString()).toBe('after-transfer');
    const newLeader = await leaderWithLease();
    expect(newLeader.id).toBe(target.id);
    expect((await get(newLeader.clientAddress, 't')).kv?.value.toString()).toBe('after-transfer');
  }, 30_000);
});
