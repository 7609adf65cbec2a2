// KV.LeaseKeepAliveStream on real node processes: a follower's stream keeps a lease alive over
// several TTLs and through a leader change (it forwards each keepalive to whichever member
// leads), the per-stream lease bound refuses one request and keeps the stream, and once the
// stream closes the lease expires and its key is deleted.
import * as grpc from '@grpc/grpc-js';
import { type LeaseKeepAliveStreamResponse__Output, loadProtos } from '@holdfast/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../src/localCluster.js';
import { bytes, type CallError, call, closeClients, get, tempDir } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const TTL_MS = 4000;
const KEEPALIVE_EVERY_MS = 1000;

/** A call retried while the member answers UNAVAILABLE or times out (an election under way). */
async function callRetrying<T>(address: string, method: string, request: object): Promise<T> {
  const giveUp = Date.now() + 30_000;
  for (;;) {
    try {
      return await call<T>(address, method, request);
    } catch (error) {
      const code = (error as CallError).code;
      const retryable = code === grpc.status.UNAVAILABLE || code === grpc.status.DEADLINE_EXCEEDED;
      if (!retryable || Date.now() > giveUp) throw error;
      await sleep(100);
    }
  }
}

/** A raw LeaseKeepAliveStream with its answers by tag. */
function openStream(address: string) {
  const { KvClient } = loadProtos();
  const client = new KvClient(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }) as unknown as grpc.Client &
    Record<'leaseKeepAliveStream', () => grpc.ClientDuplexStream<object, LeaseKeepAliveStreamResponse__Output>>;
  const stream = client.leaseKeepAliveStream();
  const answers = new Map<number, LeaseKeepAliveStreamResponse__Output>();
  const waiters = new Map<number, (answer: LeaseKeepAliveStreamResponse__Output) => void>();
  stream.on('data', (answer: LeaseKeepAliveStreamResponse__Output) => {
    answers.set(answer.tag, answer);
    waiters.get(answer.tag)?.(answer);
  });
  stream.on('error', () => {});
  let status: grpc.StatusObject | undefined;
  stream.on('status', (s: grpc.StatusObject) => {
    status = s;
  });
  let nextTag = 1;
  return {
    answers,
    get status() {
      return status;
    },
    send(id: number): number {
      const tag = nextTag++;
      stream.write({ tag, id });
      return tag;
    },
    answerOf(tag: number): Promise<LeaseKeepAliveStreamResponse__Output> {
      const known = answers.get(tag);
      if (known !== undefined) return Promise.resolve(known);
      return new Promise((resolve) => waiters.set(tag, resolve));
    },
    close(): void {
      stream.end();
      client.close();
    },
  };
}

describe('LeaseKeepAliveStream on a real cluster', () => {
  const dir = tempDir('lease-stream');
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ dataDir: dir.path, size: 3, logLevel: 'warn', extraArgs: () => ['--lease-stream-leases-max', '2'] });
    await cluster.waitForLeader(30_000);
  }, 60_000);

  afterAll(async () => {
    closeClients();
    await cluster?.stop();
    dir.remove();
  });

  it('keeps a lease alive over several TTLs and a leader change, refuses a lease past the stream bound, and the lease expires once the stream closes', async () => {
    const leader = await cluster.waitForLeader(30_000);
    const follower = cluster.members.find((m) => m.id !== leader.id && !m.removed);
    if (follower === undefined) throw new Error('no follower');
    const address = follower.clientAddress;
    const lease = await callRetrying<{ id: number }>(address, 'leaseGrant', { ttlMs: TTL_MS });
    await callRetrying(address, 'put', { key: bytes('stream/kept'), value: bytes('1'), lease: lease.id });
    const grantedAtMs = Date.now();

    const stream = openStream(address);
    const tags: number[] = [];
    let leaderKilledAtMs = 0;
    let okAfterLeaderChange = 0;
    // Keepalives every second until four TTLs have passed, the leader killed after the first.
    while (Date.now() - grantedAtMs < 4 * TTL_MS || (leaderKilledAtMs > 0 && Date.now() - leaderKilledAtMs < 2 * TTL_MS)) {
      const tag = stream.send(lease.id);
      tags.push(tag);
      if (leaderKilledAtMs === 0 && Date.now() - grantedAtMs > TTL_MS) {
        await cluster.kill(leader.id);
        leaderKilledAtMs = Date.now();
      }
      await sleep(KEEPALIVE_EVERY_MS);
      const answer = stream.answers.get(tag);
      if (leaderKilledAtMs > 0 && answer?.keepAlive) okAfterLeaderChange += 1;
    }
    expect(stream.status).toBeUndefined();
    const ok = tags.map((tag) => stream.answers.get(tag)).filter((answer) => answer?.keepAlive);
    expect(ok.length).toBeGreaterThan(0);
    for (const answer of ok) expect(answer?.keepAlive).toMatchObject({ id: lease.id, ttlMs: TTL_MS });
    // The follower forwarded keepalives to the new leader: the stream outlived the leader change.
    expect(okAfterLeaderChange).toBeGreaterThan(0);
    const kept = await get(address, 'stream/kept');
    expect(kept.found).toBe(true);

    // A lease that does not exist is named as such, and the stream goes on (the lease leaves the stream's count).
    const missing = await stream.answerOf(stream.send(987_654));
    expect(missing.error?.kind).toBe('lease-not-found');
    // The stream takes at most two leases: a second one is served, a third is refused alone.
    const second = await callRetrying<{ id: number }>(address, 'leaseGrant', { ttlMs: TTL_MS });
    const third = await callRetrying<{ id: number }>(address, 'leaseGrant', { ttlMs: TTL_MS });
    const secondAnswer = await stream.answerOf(stream.send(second.id));
    expect(secondAnswer.error?.kind ?? 'ok').not.toBe('request-too-large');
    const thirdAnswer = await stream.answerOf(stream.send(third.id));
    expect(thirdAnswer.error).toMatchObject({ kind: 'request-too-large', code: grpc.status.INVALID_ARGUMENT });
    expect(stream.status).toBeUndefined();

    stream.close();
    const closedAtMs = Date.now();
    const giveUp = closedAtMs + 60_000;
    for (;;) {
      if (!(await get(address, 'stream/kept')).found) break;
      if (Date.now() > giveUp) throw new Error('the key of a lease no longer kept alive was not deleted within 60 s');
      await sleep(250);
    }
    await cluster.restart(leader.id);
  }, 120_000);
});
