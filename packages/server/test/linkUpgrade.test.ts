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

  async function everyMemberHas(key: string): Promise<boolean[]> {
    return Promise.all(cluster.members.map(async (m) => (await get(m.clientAddress, key)).found));
  }

  it('replicates to a member that speaks only gRPC, and on after it is upgraded', async () => {
    await call(cluster.member(1).clientAddress, 'put', { key: bytes('before'), value: bytes('v') });
    expect(await everyMemberHas('before')).toEqual([true, true, true]);
    // Members 1 and 2 dial with the TCP link; the leader among them has sent member 3 appends (or
    // both have answered member 3 as leader), greeted it, and fallen back.
    const fellBack = [1, 2].filter((id) => readFileSync(cluster.member(id).logFile, 'utf8').includes('peer speaks only gRPC; sending to it over gRPC'));
    expect(fellBack.length).toBeGreaterThan(0);

    older.delete(3);
    await cluster.restart(3);
    await cluster.waitForLeader(30_000);
    // Through member 3 once it serves again (it forwards to the leader over the client port).
    const deadline = Date.now() + 30_000;
    let written = false;
    while (!written && Date.now() < deadline) {
      written = await call(cluster.member(3).clientAddress, 'put', { key: bytes('after'), value: bytes('v') }).then(
        () => true,
        () => sleep(100).then(() => false),
      );
    }
    expect(await everyMemberHas('after')).toEqual([true, true, true]);
  }, 60_000);
});
