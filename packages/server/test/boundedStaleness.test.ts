/**
 * Bounded-staleness reads: a node answers from its own state while a read barrier it completed
 * started within the bound, and runs a barrier otherwise. In process on one node for the counting,
 * and on a follower of a real 3-node cluster for what the answer must hold.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../src/localCluster.js';
import type { RunningNode } from '../src/node.js';
import { bytes, call, closeClients, type GetAnswer, get, metricValue, startLoneNode, tempDir } from './helpers.js';


const read = (address: string, key: string, maxStalenessMs: number) =>
  call<GetAnswer>(address, 'get', { key: bytes(key), maxStalenessMs });

describe('bounded-staleness reads on one node', () => {
  const dir = tempDir('bounded-one');
  let node: RunningNode;
  let address: string;
  const counts = async () => {
    const text = await node.metricsText();
    return { barriers: metricValue(text, 'holdfast_read_barriers_total'), local: metricValue(text, 'holdfast_bounded_reads_local_total') };
  };

  beforeAll(async () => {
    ({ node, address } = await startLoneNode(dir.path));
  });

  afterAll(async () => {
    await node?.stop();
    closeClients();
    dir.remove();
  });

  it('answers from a recent confirmation without a barrier, and runs one once the bound has passed', async () => {
    await call(address, 'put', { key: bytes('b'), value: bytes('one') });
    const start = await counts();
    expect((await read(address, 'b', 0)).kv?.value.toString()).toBe('one');
    const afterLinearizable = await counts();
    expect(afterLinearizable.barriers).toBe(start.barriers + 1);
    // Within a minute of that barrier: answered at once, three times.
    for (let i = 0; i < 3; i++) expect((await read(address, 'b', 60_000)).kv?.value.toString()).toBe('one');
    const afterBounded = await counts();
    expect(afterBounded).toEqual({ barriers: afterLinearizable.barriers, local: afterLinearizable.local + 3 });
    // A bound shorter than the time since: a barrier first.
    await sleep(30);
    expect((await read(address, 'b', 5)).kv?.value.toString()).toBe('one');
    expect((await counts()).barriers).toBe(afterBounded.barriers + 1);
  });
});

describe('bounded-staleness reads on a follower', () => {
  const dir = tempDir('bounded-three');
  let cluster: LocalCluster;
  // One follower is restarted with slow log writes, so it lags the others behind the leader.
  let slowId = 0;

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      dataDir: dir.path,
      size: 3,
      logLevel: 'warn',
      extraArgs: (id) => (id === slowId ? ['--failpoints', 'fsync-delay-ms=150'] : []),
    });
    const leader = await cluster.waitForLeader(20_000);
    slowId = cluster.members.find((m) => m.id !== leader.id)!.id;
    await cluster.restart(slowId);
    await cluster.waitForLeader(20_000);
    // Serving again (get retries while the restarted node does not listen yet).
    await get(cluster.member(slowId).clientAddress, 'f');
  });

  afterAll(async () => {
    await cluster?.stop();
    closeClients();
    dir.remove();
  });

  it('may answer from a lagging state within the bound, and holds every write acknowledged longer ago than it', async () => {
    const slow = cluster.member(slowId);
    let staleAnswers = 0;
    for (let round = 0; round < 5; round++) {
      const leader = await cluster.waitForLeader();
      if (leader.id === slowId) throw new Error('the slow member became leader; the test needs it as a follower');
      // A barrier on the follower now makes its reads within a long bound local for a while.
      await read(slow.clientAddress, 'f', 0);
      const written = await call<{ revision: number }>(leader.clientAddress, 'put', { key: bytes('f'), value: bytes(`v${round}`) });
      // Local: it still holds every write acknowledged before that barrier, maybe not this one.
      const early = await read(slow.clientAddress, 'f', 60_000);
      if (round > 0) expect(early.kv?.modRevision).toBeGreaterThanOrEqual(written.revision - 1);
      if (early.kv?.modRevision !== written.revision) staleAnswers += 1;
      // The bound has passed since the write was acknowledged: the follower must confirm first.
      await sleep(25);
      const late = await read(slow.clientAddress, 'f', 20);
      expect(late.kv?.value.toString()).toBe(`v${round}`);
      expect(late.kv?.modRevision).toBe(written.revision);
    }
    // The follower's log writes take 150 ms: answers within the long bound came from its own,
    // lagging state (no barrier), as they may.
    expect(staleAnswers).toBeGreaterThan(0);
  });
});
