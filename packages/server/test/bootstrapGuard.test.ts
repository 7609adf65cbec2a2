/**
 * A member whose data directory was lost must not bootstrap a second time under its old id while
 * its cluster runs (it could forget votes and acknowledged entries); and a restarted member's
 * status never shows an applied index above its commit index. Real processes on loopback.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusResponse__Output as StatusResponse } from '@holdfast/protocol';
import { runningClusterEvidence } from '../src/bootstrapGuard.js';
import { LocalCluster } from '../src/localCluster.js';
import { bytes, call, closeClients, get, tempDir } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function answer(fields: { clusterId?: string; revision?: number; role?: string; leaderId?: number; followers?: { id: number; matchIndex: number }[] }): StatusResponse {
  return {
    header: { clusterId: fields.clusterId ?? 'c', memberId: 1, term: 2, revision: fields.revision ?? 0 },
    leaderId: fields.leaderId ?? 1,
    members: [
      {
        member: { id: 1, name: 'a', region: '', clientAddress: '', peerAddress: '', learner: false },
        role: fields.role ?? 'leader',
        term: 2,
        leaderId: fields.leaderId ?? 1,
        commitIndex: 4,
        appliedIndex: 4,
        followers: (fields.followers ?? []).map((f) => ({ ...f, nextIndex: f.matchIndex + 1, state: 'replicate' })),
        error: '',
        storeBytes: 0,
        storeBytesMax: 0,
        applyVersionMax: 2,
        clusterVersion: 2,
      },
    ],
  } as unknown as StatusResponse;
}

describe('the evidence that a cluster already ran with a member', () => {
  it('is data in the cluster, or the leader holding entries the member acknowledged', () => {
    expect(runningClusterEvidence(2, 'c', 'a:1', answer({ revision: 5, role: 'follower' }))).toContain('revision 5');
    expect(runningClusterEvidence(2, 'c', 'a:1', answer({ followers: [{ id: 2, matchIndex: 4 }] }))).toContain('acknowledged');
  });

  it('is not a fresh cluster that formed before this member first started, another cluster, or no leader', () => {
    expect(runningClusterEvidence(2, 'c', 'a:1', answer({ followers: [{ id: 2, matchIndex: 0 }, { id: 3, matchIndex: 4 }] }))).toBe('');
    expect(runningClusterEvidence(2, 'c', 'a:1', answer({ clusterId: 'other', revision: 5 }))).toBe('');
    expect(runningClusterEvidence(2, 'c', 'a:1', answer({ revision: 5, leaderId: 0 }))).toBe('');
  });
});

describe('a member restarted with an empty data dir and the same id', () => {
  const dir = tempDir('bootstrap-guard');
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ dataDir: dir.path, size: 3 });
    await cluster.waitForLeader(30_000);
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    closeClients();
    dir.remove();
  });

  it('reports a commit index at least at its applied index from its first answer after a restart', async () => {
    const leader = await cluster.waitForLeader();
    const restarted = cluster.members.find((m) => m.id !== leader.id);
    if (!restarted) throw new Error('no follower');
    // Killed right after writes: its persisted commit index lags what it applied (by design).
    for (let i = 0; i < 20; i += 1) await call(leader.clientAddress, 'put', { key: bytes(`before-kill-${i}`), value: bytes('v') });
    await cluster.kill(restarted.id, 'SIGKILL');
    cluster.startMember(restarted.id);
    for (let answers = 0; answers < 20; ) {
      const status = await cluster.call<StatusResponse>(restarted.clientAddress, 'status', { localOnly: true }, 500).catch(() => undefined);
      const self = status?.members[0];
      if (self) {
        answers += 1;
        expect(Number(self.commitIndex)).toBeGreaterThanOrEqual(Number(self.appliedIndex));
      }
      await sleep(20);
    }
  });

  it('refuses to bootstrap, says why and what to do, and the cluster keeps serving', async () => {
    const leader = await cluster.waitForLeader();
    await call(leader.clientAddress, 'put', { key: bytes('k'), value: bytes('kept') });
    const lost = cluster.members.find((m) => m.id !== leader.id);
    if (!lost) throw new Error('no follower');
    await cluster.kill(lost.id);
    cluster.wipe(lost.id);
    const logBefore = readFileSync(lost.logFile, 'utf8').length;
    cluster.startMember(lost.id);
    const giveUp = Date.now() + 20_000;
    while (cluster.isRunning(lost.id) && Date.now() < giveUp) await sleep(50);
    expect(cluster.isRunning(lost.id)).toBe(false);
    expect(cluster.exitCode(lost.id)).not.toBe(0);
    const log = readFileSync(lost.logFile, 'utf8').slice(logBefore);
    expect(log).toContain(`already runs with member ${lost.id} in it`);
    expect(log).toContain('--join');
    expect(log).not.toContain('bootstrapped a new log"');
    const stillLeader = await cluster.waitForLeader();
    expect((await get(stillLeader.clientAddress, 'k')).kv?.value.toString()).toBe('kept');
  });
});
