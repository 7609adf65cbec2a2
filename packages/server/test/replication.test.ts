/**
 * The write path's promises on real three-node clusters: a write is acknowledged only after a
 * quorum made it durable (a follower acknowledges only after its own synced write), and an
 * acknowledged write is seen by a linearizable read on every member right away, although the
 * leader answers writers before its state machine's batch reaches LevelDB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../src/localCluster.js';
import { bytes, call, closeClients, get, moveLeadership, tempDir } from './helpers.js';

const FOLLOWER_FSYNC_DELAY_MS = 400;

describe('a leader whose followers fsync slowly', () => {
  const dir = tempDir('replication-durable');
  let cluster: LocalCluster;

  beforeAll(async () => {
    // Members 2 and 3 take FOLLOWER_FSYNC_DELAY_MS after each synced write before going on.
    cluster = await LocalCluster.start({
      dataDir: dir.path,
      size: 3,
      extraArgs: (id) => (id === 1 ? [] : ['--failpoints', `fsync-delay-ms=${FOLLOWER_FSYNC_DELAY_MS}`]),
    });
    await moveLeadership(cluster, 1);
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    closeClients();
    dir.remove();
  });

  it('acknowledges a write only after a follower made it durable', async () => {
    const leader = cluster.member(1);
    for (let i = 0; i < 4; i += 1) {
      const started = performance.now();
      await call(leader.clientAddress, 'put', { key: bytes(`durable-${i}`), value: bytes('x') }, 10_000);
      // A lower bound only: a slow machine can make the write slower, never faster. The leader's
      // own write is quick; the quorum needs one follower, whose ack waits for its slow fsync.
      expect(performance.now() - started).toBeGreaterThanOrEqual(FOLLOWER_FSYNC_DELAY_MS * 0.95);
    }
  });
});

describe('linearizable reads right after acknowledged writes', () => {
  const dir = tempDir('replication-reads');
  let cluster: LocalCluster;

  beforeAll(async () => {
    // Frequent snapshots, so that compaction runs between the writes and the reads.
    cluster = await LocalCluster.start({
      dataDir: dir.path,
      size: 3,
      extraArgs: () => ['--snapshot-entries', '32', '--snapshot-catchup-entries', '8'],
    });
    await cluster.waitForLeader(30_000);
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    closeClients();
    dir.remove();
  });

  it('sees every acknowledged write of a session on every member, whichever member took it', async () => {
    const leader = await cluster.waitForLeader();
    const members = cluster.members;
    const follower = members.find((m) => m.id !== leader.id) ?? leader;
    const stale: string[] = [];
    for (let i = 0; i < 30; i += 1) {
      const key = `own-${i}`;
      const session = { clientId: `reader-${i}`, sequence: 1 };
      const [first, second] = i % 2 === 0 ? [leader, follower] : [follower, leader];
      await call(first.clientAddress, 'put', { key: bytes(key), value: bytes('one'), session });
      // The retry of sequence 1 reaches the other member and must not apply again.
      await call(second.clientAddress, 'put', { key: bytes(key), value: bytes('one'), session });
      await call(first.clientAddress, 'put', { key: bytes(key), value: bytes('two'), session: { ...session, sequence: 2 } });
      for (const member of members) {
        const read = await get(member.clientAddress, key);
        if (read.kv?.version !== 2 || read.kv.value.toString() !== 'two') {
          stale.push(`${key} on member ${member.id}: version ${read.kv?.version} value ${read.kv?.value.toString()}`);
        }
      }
    }
    expect(stale).toEqual([]);
  });
});
