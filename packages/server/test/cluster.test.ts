/**
 * A real three-node cluster on loopback: reads and writes through any node, refusal of bad
 * input, exactly-once retries, catch-up after a restart, and replacement of a wiped member
 * through membership (which must restore it from a snapshot).
 */
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../src/localCluster.js';
import type { StatusResponse__Output as StatusResponse } from '@holdfast/protocol';
import { bytes, type CallError, call, closeClients, get, SessionWriter, tempDir } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await sleep(100);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms (last error: ${(last as Error | undefined)?.message})`);
}

async function refusalOf(promise: Promise<unknown>): Promise<CallError> {
  let accepted: unknown;
  try {
    accepted = await promise;
  } catch (error) {
    return error as CallError;
  }
  throw new Error(`the request was accepted: ${JSON.stringify(accepted).slice(0, 300)}`);
}

describe('a three-node cluster', () => {
  const dir = tempDir('cluster');
  let cluster: LocalCluster;
  let writer: SessionWriter;

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      dataDir: dir.path,
      size: 3,
      regions: ['r1', 'r2', 'r3'],
      extraArgs: () => [
        '--snapshot-entries',
        '64',
        '--snapshot-catchup-entries',
        '16',
        '--value-bytes-max',
        '1024',
        // The SDK's default streamFrameOpsMax, so that one more is an oversized message.
        '--batch-message-requests-max',
        '128',
      ],
    });
    await cluster.waitForLeader(30_000);
    writer = new SessionWriter('cluster-test', () => cluster.endpoints());
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    closeClients();
    dir.remove();
  });

  const followerOf = async (): Promise<number> => {
    const leader = await cluster.waitForLeader();
    const follower = cluster.members.find((m) => !m.removed && m.id !== leader.id && cluster.isRunning(m.id));
    if (!follower) throw new Error('no follower running');
    return follower.id;
  };

  it('serves a write made through a follower from every node', async () => {
    const follower = cluster.member(await followerOf());
    await eventually('a put through a follower', () =>
      call(follower.clientAddress, 'put', { key: bytes('greeting'), value: bytes('hello') }),
    );
    for (const member of cluster.members) {
      // A member that has not heard from the new leader yet answers no-leader (retryable).
      const answer = await eventually('a linearizable read', () => get(member.clientAddress, 'greeting'));
      expect(answer.found).toBe(true);
      expect(answer.kv?.value.toString()).toBe('hello');
      expect(answer.header.memberId).toBe(member.id);
    }
  });

  it('reports SERVING health and Prometheus metrics once a leader is known', async () => {
    const leader = await cluster.waitForLeader();
    const Health = grpc.makeClientConstructor(healthService, 'Health');
    const client = new Health(leader.clientAddress, grpc.credentials.createInsecure());
    try {
      const answer = await new Promise<{ status: string }>((resolve, reject) => {
        (client as unknown as { check(r: object, cb: (e: Error | null, a: { status: string }) => void): void }).check(
          { service: '' },
          (error, response) => (error ? reject(error) : resolve(response)),
        );
      });
      expect(answer.status).toBe('SERVING');
    } finally {
      client.close();
    }
    const text = await (await fetch(`http://${leader.metricsAddress}/metrics`)).text();
    expect(text).toMatch(/holdfast_role\{role="leader"\} 1/);
    expect(text).toMatch(/holdfast_fsync_seconds_count \d+/);
    expect(text).toMatch(/holdfast_applied_index [1-9]/);
  });

  it('answers each bad input with its status and changes nothing', async () => {
    const leader = await cluster.waitForLeader();
    const address = leader.clientAddress;
    await writer.put('existing', 'v1');
    const before = await get(address, 'existing');

    const cases: { request: () => Promise<unknown>; code: grpc.status; kind: string }[] = [
      { request: () => call(address, 'put', { key: bytes(''), value: bytes('x') }), code: grpc.status.INVALID_ARGUMENT, kind: 'invalid-argument' },
      {
        request: () => call(address, 'put', { key: Buffer.alloc(5000, 1), value: bytes('x') }),
        code: grpc.status.INVALID_ARGUMENT,
        kind: 'key-too-large',
      },
      {
        request: () => call(address, 'put', { key: bytes('big'), value: Buffer.alloc(2000, 1) }),
        code: grpc.status.INVALID_ARGUMENT,
        kind: 'value-too-large',
      },
      {
        request: () => call(address, 'txn', {
          success: Array.from({ length: 200 }, (_, i) => ({ put: { key: bytes(`t${i}`), value: bytes('x') } })),
        }),
        code: grpc.status.INVALID_ARGUMENT,
        kind: 'request-too-large',
      },
      {
        request: () => call(address, 'put', { key: bytes('existing'), value: bytes('v2'), ifAbsent: true }),
        code: grpc.status.FAILED_PRECONDITION,
        kind: 'compare-failed',
      },
      {
        request: () => call(address, 'delete', { key: bytes('existing'), ifModRevision: (before.kv?.modRevision ?? 0) + 1000 }),
        code: grpc.status.FAILED_PRECONDITION,
        kind: 'compare-failed',
      },
      { request: () => call(address, 'range', { limit: 5 }), code: grpc.status.INVALID_ARGUMENT, kind: 'invalid-argument' },
      { request: () => call(address, 'get', { key: bytes('') }), code: grpc.status.INVALID_ARGUMENT, kind: 'invalid-argument' },
    ];
    for (const { request, code, kind } of cases) {
      const error = await refusalOf(request());
      expect({ code: error.code, kind: error.kind }).toEqual({ code, kind });
    }

    const after = await get(address, 'existing');
    expect(after.kv?.value.toString()).toBe('v1');
    expect(after.header.revision).toBe(before.header.revision);
    expect((await get(address, 'big')).found).toBe(false);
    expect((await get(address, 't0')).found).toBe(false);
  });

  it('answers a Batch stream by id, refusing a request without an operation and an oversized message', async () => {
    const leader = await cluster.waitForLeader();
    const { KvClient } = (await import('@holdfast/protocol')).loadProtos();
    const client = new KvClient(leader.clientAddress, grpc.credentials.createInsecure());
    type Answer = Record<string, unknown>;
    const oversized = Array.from({ length: 129 }, (_, i) => ({ id: 100 + i, put: { key: bytes(`over${i}`), value: bytes('x') } }));
    try {
      const stream = (client as unknown as { batch(): grpc.ClientDuplexStream<object, { responses: Answer[] }> }).batch();
      const answers = new Map<number, Answer>();
      const done = new Promise<void>((resolve, reject) => {
        stream.on('data', (frame: { responses: Answer[] }) => {
          for (const answer of frame.responses) answers.set(Number(answer['id']), answer);
          if (answers.size === 3 + oversized.length) resolve();
        });
        stream.on('error', reject);
      });
      stream.write({ requests: [{ id: 7, put: { key: bytes('batched'), value: bytes('b') } }, { id: 8, get: { key: bytes('greeting') } }, { id: 9 }] });
      // More requests in one message than --batch-message-requests-max (128 here): each is refused, none applies.
      stream.write({ requests: oversized });
      await done;
      stream.end();
      const field = <T>(id: number, name: string): T => answers.get(id)?.[name] as T;
      expect(field<{ revision: number }>(7, 'put').revision).toBeGreaterThan(0);
      expect(field<{ found: boolean }>(8, 'get').found).toBe(true);
      expect(field<{ kind: string }>(9, 'error').kind).toBe('invalid-argument');
      for (const request of oversized) expect(field<{ kind: string }>(request.id, 'error').kind).toBe('request-too-large');
      expect((await get(leader.clientAddress, 'over0')).found).toBe(false);
    } finally {
      client.close();
    }
  });

  it('pages a prefix range and runs the txn branch its compares choose', async () => {
    const leader = await cluster.waitForLeader();
    const address = leader.clientAddress;
    for (const name of ['a', 'b', 'c', 'd', 'e']) await writer.put(`r/${name}`, name.toUpperCase());
    type Page = { kvs: { key: Buffer; value: Buffer }[]; more: boolean; continuation: Buffer };
    const first = await call<Page>(address, 'range', { prefix: bytes('r/'), limit: 2 });
    expect(first.kvs.map((kv) => kv.key.toString())).toEqual(['r/a', 'r/b']);
    expect(first.more).toBe(true);
    const rest = await call<Page>(address, 'range', { prefix: bytes('r/'), continuation: first.continuation, consistency: 'SERIALIZABLE' });
    expect(rest.kvs.map((kv) => kv.key.toString())).toEqual(['r/c', 'r/d', 'r/e']);
    expect(rest.more).toBe(false);

    type TxnAnswer = { succeeded: boolean; results: { get?: { found: boolean; kv: { value: Buffer } | null } }[] };
    const txn = (expected: string) =>
      call<TxnAnswer>(address, 'txn', {
        compare: [{ key: bytes('r/a'), target: 'VALUE', op: 'EQUAL', value: bytes(expected) }],
        success: [{ put: { key: bytes('r/txn'), value: bytes('yes') } }, { get: { key: bytes('r/b') } }],
        failure: [{ put: { key: bytes('r/txn'), value: bytes('no') } }],
      });
    const failed = await txn('not-A');
    expect(failed.succeeded).toBe(false);
    expect((await get(address, 'r/txn')).kv?.value.toString()).toBe('no');
    const succeeded = await txn('A');
    expect(succeeded.succeeded).toBe(true);
    expect(succeeded.results[1]?.get?.kv?.value.toString()).toBe('B');
    expect((await get(address, 'r/txn')).kv?.value.toString()).toBe('yes');
  });

  it('applies a retried write once, even when the retry reaches another node', async () => {
    const leader = await cluster.waitForLeader();
    const follower = cluster.member(await followerOf());
    const request = { key: bytes('once'), value: bytes('only'), session: { clientId: 'retrier', sequence: 1 } };
    const first = await call<{ revision: number }>(leader.clientAddress, 'put', request);
    // The first answer was "lost": the client sends the same (client id, sequence) again.
    const retried = await call<{ revision: number }>(follower.clientAddress, 'put', request);
    expect(retried.revision).toBe(first.revision);
    const read = await get(leader.clientAddress, 'once');
    expect(read.kv?.version).toBe(1);
    expect(read.kv?.modRevision).toBe(first.revision);
    const next = await call<{ revision: number }>(leader.clientAddress, 'put', { ...request, session: { clientId: 'retrier', sequence: 2 } });
    expect(next.revision).toBeGreaterThan(first.revision);
    // Both fields: a version of 1 with the new modRevision would point at the stored key meta,
    // an old modRevision at the read path.
    const after = await get(leader.clientAddress, 'once');
    expect({ version: after.kv?.version, modRevision: after.kv?.modRevision }).toEqual({ version: 2, modRevision: next.revision });
  });

  it('catches a restarted member up with the writes it missed', async () => {
    const id = await followerOf();
    await cluster.kill(id, 'SIGKILL');
    for (let i = 0; i < 40; i += 1) await writer.put(`missed-${i}`, `value-${i}`);
    cluster.startMember(id);
    const address = cluster.member(id).clientAddress;
    await eventually('the restarted member to hold the last write', async () => {
      const answer = await get(address, 'missed-39', 'SERIALIZABLE');
      return answer.found ? answer : undefined;
    });
    for (let i = 0; i < 40; i += 1) {
      expect((await get(address, `missed-${i}`, 'SERIALIZABLE')).kv?.value.toString()).toBe(`value-${i}`);
    }
  });

  it('refuses to promote a learner whose node has never answered, so it cannot weaken the quorum', async () => {
    const leader = await cluster.waitForLeader();
    // Nothing listens on these ports: the learner exists only in the configuration.
    const added = await cluster.call<{ member: { id: number } }>(leader.clientAddress, 'memberAddLearner', {
      name: 'never-started',
      region: 'local',
      clientAddress: '127.0.0.1:9',
      peerAddress: '127.0.0.1:9',
    });
    const refusal = await refusalOf(cluster.call(leader.clientAddress, 'memberPromote', { id: added.member.id }));
    expect(refusal.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(refusal.message).toMatch(/not replicating/);
    await eventually('the learner to be removed', () => cluster.call(leader.clientAddress, 'memberRemove', { id: added.member.id }));
  });

  it('replaces a wiped follower through membership; the new member restores from a snapshot', async () => {
    // Enough log entries that the log is compacted past what a new member could fetch entry by
    // entry. One write at a time: concurrent writes would share entries.
    const writer = new SessionWriter('bulk', () => cluster.endpoints());
    for (let i = 0; i < 150; i += 1) await writer.put(`bulk-${i}`, `value-${i}`);
    const old = await followerOf();
    const oldRegion = cluster.member(old).region;
    const replacement = await cluster.replaceMember(old);
    expect(replacement.id).not.toBe(old);
    // In the region of the member it replaces, whatever its id (a new id once went to no region at all).
    expect(replacement.region).toBe(oldRegion);
    await eventually('the new member to hold the data', async () => {
      const answer = await get(replacement.clientAddress, 'bulk-149', 'SERIALIZABLE');
      return answer.found ? answer : undefined;
    });
    expect((await get(replacement.clientAddress, 'bulk-0', 'SERIALIZABLE')).kv?.value.toString()).toBe('value-0');
    expect(readFileSync(replacement.logFile, 'utf8')).toMatch(/state restored from a snapshot/);
    const leader = await cluster.waitForLeader();
    const status = await eventually('a status', () => cluster.call<StatusResponse>(leader.clientAddress, 'status', {}));
    const ids = status.members.map((m) => m.member?.id ?? 0).sort((a, b) => a - b);
    expect(ids).not.toContain(old);
    expect(ids).toContain(replacement.id);
    expect(status.members.find((m) => m.member?.id === replacement.id)?.member?.learner).toBe(false);
    expect(status.members.find((m) => m.member?.id === replacement.id)?.member?.region).toBe(oldRegion);
    // The new member serves writes made after it joined, through itself.
    await eventually('a write through the new member', () =>
      call(replacement.clientAddress, 'put', { key: bytes('after-join'), value: bytes('yes') }),
    );
    expect((await eventually('a read', () => get(leader.clientAddress, 'after-join'))).kv?.value.toString()).toBe('yes');
  }, 90_000);
});
