/**
 * A rolling upgrade across the change of peer link (docs/operations.md, Upgrading), with real
 * member processes. Member 3 first runs as a release before the TCP link would (failpoint
 * grpc-only: its peer port answers gRPC only and it dials gRPC); the others greet it, find it
 * speaks only gRPC, say so once, and replicate to it over gRPC. Once it runs the current release
 * the cluster goes on, with members that dial with different links (--peer-transport).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../src/localCluster.js';
import { bytes, call, closeClients, get, tempDir } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('a rolling upgrade across the change of peer link', () => {
  const dir = tempDir('link-upgrade');
  /** Members that run as the release before the TCP link on their next start. */
  const older = new Set([3]);
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      dataDir: dir.path,
      size: 3,
      // Upgraded, member 3 dials with gRPC still (--peer-transport grpc), the others with the TCP link.
      extraArgs: (id) => (older.has(id) ? ['--failpoints', 'grpc-only'] : ['--peer-transport', id === 3 ? 'grpc' : 'tcp']),
    });
    await cluster.waitForLeader(30_000);
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    closeClients();
    dir.remove();
  });

  /** A put through `address`, tried again while the member is not serving or knows no leader (a loaded machine), for 30 s. */
  async function putRetrying(address: string, key: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const failure = await call(address, 'put', { key: bytes(key), value: bytes('v') }).then(
        () => undefined,
        (error: unknown) => error,
      );
      if (failure === undefined) return;
      if (Date.now() > deadline) throw failure;
      await sleep(100);
    }
  }

  async function everyMemberHas(key: string): Promise<boolean[]> {
    return Promise.all(cluster.members.map(async (m) => (await get(m.clientAddress, key)).found));
  }

  it('replicates to a member that speaks only gRPC, and on after it is upgraded', async () => {
    await putRetrying(cluster.member(1).clientAddress, 'before');
    expect(await everyMemberHas('before')).toEqual([true, true, true]);
    // Members 1 and 2 dial with the TCP link; the leader among them has sent member 3 appends (or
    // both have answered member 3 as leader), greeted it, and fallen back.
    const fellBack = [1, 2].filter((id) => readFileSync(cluster.member(id).logFile, 'utf8').includes('peer speaks only gRPC; sending to it over gRPC'));
    expect(fellBack.length).toBeGreaterThan(0);
    // ...and says so on /metrics: gRPC towards member 3, the TCP link towards the other.
    for (const id of fellBack) {
      const text = await (await fetch(`http://${cluster.member(id).metricsAddress}/metrics`)).text();
      expect(text).toContain('holdfast_peer_link_grpc{peer="3"} 1');
    }

    older.delete(3);
    await cluster.restart(3);
    await cluster.waitForLeader(30_000);
    // Through member 3 once it serves again (it forwards to the leader over the client port).
    await putRetrying(cluster.member(3).clientAddress, 'after');
    expect(await everyMemberHas('after')).toEqual([true, true, true]);
  }, 60_000);
});
