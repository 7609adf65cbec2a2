/**
 * A cluster upgraded one member at a time (apply versions, docs/operations.md, Upgrading). Member
 * 3 first runs as the previous release would (failpoint apply-version-max=1: it implements only
 * the first apply version, without the store quota). While it runs, every member applies writes
 * the first release's way; once it runs the current release, the leader moves the cluster to the
 * quota's version; and the older release can no longer start on the data that moved on.
 */
import { readFileSync } from 'node:fs';
import { APPLY_VERSION_FIRST, APPLY_VERSION_LATEST } from '@holdfast/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../src/localCluster.js';
import { bytes, type CallError, call, closeClients, get, tempDir } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const value = (length: number): Buffer => Buffer.alloc(length, 'v');

describe('a rolling upgrade across a change of apply', () => {
  const dir = tempDir('rolling-upgrade');
  /** Members that run as the older release on their next start. */
  const older = new Set([3]);
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      dataDir: dir.path,
      size: 3,
      extraArgs: (id) => ['--store-bytes-max', '100', ...(older.has(id) ? ['--failpoints', `apply-version-max=${APPLY_VERSION_FIRST}`] : [])],
    });
    await cluster.waitForLeader(30_000);
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    closeClients();
    dir.remove();
  });

  /** Each member's [apply version of its state, newest version its release implements]. */
  async function versions(): Promise<[number, number][]> {
    const status = await cluster.status(1);
    return status.members.map((m) => [m.clusterVersion, m.applyVersionMax]);
  }

  async function everyMemberHas(key: string): Promise<boolean[]> {
    return Promise.all(cluster.members.map(async (m) => (await get(m.clientAddress, key)).found));
  }

  it('applies the first release’s way while an older member runs, and moves on once every member is upgraded', async () => {
    // Past the 100-byte quota, but member 3 would apply it: so must everyone.
    await call(cluster.member(1).clientAddress, 'put', { key: bytes('before'), value: value(200) });
    expect(await everyMemberHas('before')).toEqual([true, true, true]);
    // The leader heard from member 3 long ago (every heartbeat answer says it), and never moves.
    await sleep(1500);
    expect(await versions()).toEqual([
      [APPLY_VERSION_FIRST, APPLY_VERSION_LATEST],
      [APPLY_VERSION_FIRST, APPLY_VERSION_LATEST],
      [APPLY_VERSION_FIRST, APPLY_VERSION_FIRST],
    ]);

    older.delete(3);
    await cluster.restart(3);
    await cluster.waitForClusterVersion(APPLY_VERSION_LATEST);
    expect(await versions()).toEqual([
      [APPLY_VERSION_LATEST, APPLY_VERSION_LATEST],
      [APPLY_VERSION_LATEST, APPLY_VERSION_LATEST],
      [APPLY_VERSION_LATEST, APPLY_VERSION_LATEST],
    ]);
    for (const member of cluster.members) {
      const error = (await call(member.clientAddress, 'put', { key: bytes('after'), value: value(50) }).catch((e: unknown) => e)) as CallError;
      expect(error.kind).toBe('quota-exceeded');
    }
    expect(await everyMemberHas('after')).toEqual([false, false, false]);
  }, 60_000);

  it('refuses to start the older release on a member whose data moved on; the others keep serving', async () => {
    older.add(3);
    await cluster.restart(3);
    const deadline = Date.now() + 30_000;
    while (cluster.isRunning(3) && Date.now() < deadline) await sleep(50);
    expect(cluster.exitCode(3)).toBe(1);
    expect(readFileSync(cluster.member(3).logFile, 'utf8')).toContain(
      `needs apply version ${APPLY_VERSION_LATEST}; this release applies versions up to ${APPLY_VERSION_FIRST}: upgrade this member`,
    );
    await call(cluster.member(1).clientAddress, 'delete', { key: bytes('before') });

    older.delete(3);
    cluster.startMember(3);
    await cluster.waitForClusterVersion(APPLY_VERSION_LATEST);
    expect(await everyMemberHas('before')).toEqual([false, false, false]);
  }, 60_000);
});
