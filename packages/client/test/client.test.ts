import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AbortedError,
  ClientClosedError,
  compare,
  createClient,
  DeadlineExceededError,
  type HoldfastClient,
  NotLeaderError,
  op,
  UnavailableError,
  UnreachableError,
} from '../src/index.js';
import { type FakeServer, FakeFailure, putAnswer, type Request, startFakeServer } from './fake-server.js';

const servers: FakeServer[] = [];
const clients: HoldfastClient[] = [];

async function serve(options: Parameters<typeof startFakeServer>[0]): Promise<FakeServer> {
  const server = await startFakeServer(options);
  servers.push(server);
  return server;
}

function connect(options: Parameters<typeof createClient>[0]): HoldfastClient {
  const client = createClient({ random: () => 0.5, ...options });
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await server.stop();
});

function sessionOf(request: Request): { clientId: string; sequence: number } {
  return request['session'] as { clientId: string; sequence: number };
}

const text = (bytes: unknown) => Buffer.from(bytes as Uint8Array).toString('utf8');

describe('reads in the client\'s region', () => {
  it('sends serializable reads to a member of its region, linearizable ones to the leader, and falls back', async () => {
    const value = (text: string) => ({ found: true, kv: { key: Buffer.from('k'), value: Buffer.from(text) } });
    let euUp = true;
    const us = await serve({
      kv: { get: () => value('from-us') },
      cluster: { Status: () => ({ leaderId: 1, members: [{ member: { id: 1, region: 'us' }, term: 3 }] }) },
    });
    const eu = await serve({
      kv: {
        get: () => {
          if (!euUp) throw new FakeFailure({ code: GrpcStatus.UNAVAILABLE, kind: 'stopping' });
          return value('from-eu');
        },
      },
      cluster: { Status: () => ({ leaderId: 1, members: [{ member: { id: 2, region: 'eu' }, term: 3 }] }) },
    });
    // Without distance probes: on loopback both members are as near, and measured distances would
    // decide before the region label (nearest.e2e.test.ts covers routing by distance).
    const client = connect({ endpoints: [us.address, eu.address], region: 'eu', rttProbeIntervalMs: 0 });
    // Nothing known about regions yet: the first goes the usual way and starts a discovery.
    expect((await client.get('k', { consistency: 'serializable' }))?.valueString()).toBe('from-us');
    await vi.waitFor(() => expect(eu.clusterCalls.length).toBeGreaterThan(0));
    await vi.waitFor(async () => expect((await client.get('k', { consistency: 'serializable' }))?.valueString()).toBe('from-eu'));
    expect((await client.get('k'))?.valueString()).toBe('from-us');
    expect(client.preferredEndpoint).toBe(us.address);
    // Bounded staleness: any member may answer, the region's first; the bound travels with the read.
    expect((await client.get('k', { maxStalenessMs: 250 }))?.valueString()).toBe('from-eu');
    expect(eu.calls.at(-1)?.request).toMatchObject({ consistency: 'LINEARIZABLE', maxStalenessMs: 250 });
    await expect(client.get('k', { maxStalenessMs: -1 })).rejects.toThrow(/maxStalenessMs must be an integer/);
    // The member in the region fails: the read still succeeds through the usual routing.
    euUp = false;
    expect((await client.get('k', { consistency: 'serializable' }))?.valueString()).toBe('from-us');
    expect(client.preferredEndpoint).toBe(us.address);
  });
});

describe('leader discovery', () => {
  it('follows a NOT_LEADER hint to the leader and keeps going there', async () => {
    const leader = await serve({ kv: { put: () => putAnswer(7) } });
    // Answers differently, so a client that rotated instead of following the hint would show it.
    const bystander = await serve({ kv: { put: () => putAnswer(99) } });
    const follower = await serve({
      kv: {
        put: () => {
          throw new FakeFailure({ code: GrpcStatus.UNAVAILABLE, kind: 'not-leader', leader: leader.address });
        },
      },
    });
    const client = connect({ endpoints: [follower.address, bystander.address, leader.address] });
    expect((await client.put('a', '1')).revision).toBe(7);
    expect((await client.put('b', '2')).revision).toBe(7);
    expect(follower.calls).toHaveLength(1);
    expect(bystander.calls).toHaveLength(0);
    expect(leader.calls).toHaveLength(2);
    expect(client.preferredEndpoint).toBe(leader.address);
  });

  it('does not dial a NOT_LEADER hint outside its endpoints unless resolveAddress allows it', async () => {
    const other = await serve({ kv: { put: () => putAnswer(3) } });
    const follower = await serve({
      kv: {
        put: () => {
          throw new FakeFailure({ code: GrpcStatus.UNAVAILABLE, kind: 'not-leader', leader: '127.0.0.1:1' });
        },
      },
    });
    const client = connect({ endpoints: [follower.address, other.address] });
    expect((await client.put('a', '1')).revision).toBe(3);
    expect(client.preferredEndpoint).toBe(other.address);
  });

  it('fails over to the next endpoint when one is down', async () => {
    const down = await serve({});
    const downAddress = down.address;
    await down.stop();
    const up = await serve({ kv: { get: () => ({ found: true, kv: { key: Buffer.from('k'), value: Buffer.from('v') } }) } });
    const client = connect({ endpoints: [downAddress, up.address] });
    const kv = await client.get('k');
    expect(kv?.valueString()).toBe('v');
    expect(client.preferredEndpoint).toBe(up.address);
  });

  it('moves writes to the leader once it learns which endpoint that is', async () => {
    const leader = await serve({
      kv: { put: () => putAnswer(2) },
      cluster: { Status: () => ({ leaderId: 2, members: [{ member: { id: 2 }, term: 3 }] }) },
    });
    // A follower forwards writes: they succeed, answered with the leader's member id.
    const follower = await serve({
      kv: { put: () => ({ header: { memberId: 2, term: 3, revision: 1 }, revision: 1 }) },
      cluster: { Status: () => ({ leaderId: 2, members: [{ member: { id: 1 }, term: 3 }] }) },
    });
    const client = connect({ endpoints: [follower.address, leader.address] });
    expect((await client.put('a', '1')).revision).toBe(1);
    await vi.waitFor(() => expect(client.preferredEndpoint).toBe(leader.address));
    expect((await client.put('b', '2')).revision).toBe(2);
    expect(follower.clusterCalls.every((call) => call.request['localOnly'] === true)).toBe(true);
  });

  it('after NO_LEADER, retries the member that answered rather than an endpoint not heard from', async () => {
    let refusals = 1;
    const live = await serve({
      kv: {
        put: () => {
          if (refusals-- > 0) throw new FakeFailure({ code: GrpcStatus.UNAVAILABLE, kind: 'no-leader' });
          return putAnswer(1);
        },
      },
    });
    // A member whose region is dark: it takes calls and never answers.
    const dark = await serve({ kv: { put: () => new Promise(() => {}) }, cluster: { Status: () => new Promise(() => {}) } });
    const client = connect({
      endpoints: [live.address, dark.address],
      attemptTimeoutMs: 5000,
      deadlineMs: 20_000,
      rttProbeIntervalMs: 0,
      retry: { backoffBaseMs: 10, backoffMaxMs: 10 },
    });
    expect((await client.put('a', '1')).revision).toBe(1);
    expect(live.calls).toHaveLength(2);
    expect(dark.calls).toHaveLength(0);
  });

  it('dials advertised addresses through resolveAddress', async () => {
    const leader = await serve({ kv: { put: () => putAnswer(5) } });
    const follower = await serve({
      kv: {
        put: () => {
          throw new FakeFailure({ code: GrpcStatus.UNAVAILABLE, kind: 'not-leader', leader: 'leader.internal:7001' });
        },
      },
    });
    const client = connect({
      endpoints: [follower.address],
      resolveAddress: (advertised) => (advertised === 'leader.internal:7001' ? leader.address : undefined),
    });
    expect((await client.put('a', '1')).revision).toBe(5);
  });

  it('learns the leader from status()', async () => {
    const leaderAddress = '127.0.0.1:1';
    const node = await serve({
      cluster: {
        Status: () => ({
          leaderId: 2,
          members: [
            { member: { id: 1, clientAddress: 'x' }, role: 'follower' },
            { member: { id: 2, clientAddress: leaderAddress }, role: 'leader', followers: [{ id: 1, matchIndex: 4 }] },
          ],
        }),
      },
    });
    const client = connect({ endpoints: [node.address], resolveAddress: (advertised) => advertised });
    const status = await client.status();
    expect(status.leaderId).toBe(2);
    expect(status.members.map((member) => member.role)).toEqual(['follower', 'leader']);
    expect(status.members[1]?.followers[0]?.matchIndex).toBe(4);
    expect(client.preferredEndpoint).toBe(leaderAddress);
  });
});

describe('retries', () => {
  it('retries a write with the same session sequence, and the next write takes the next one', async () => {
    let failuresLeft = 2;
    const server = await serve({
      kv: {
        put: () => {
          if (failuresLeft-- > 0) throw new FakeFailure({ code: GrpcStatus.UNAVAILABLE, kind: 'no-leader' });
          return putAnswer(3);
        },
      },
    });
    const client = connect({ endpoints: [server.address], clientId: 'c1' });
    await client.put('k', 'v');
    await client.put('k', 'w');
    const sessions = server.calls.map((call) => sessionOf(call.request));
    expect(sessions).toEqual([
      { clientId: 'c1/0', sequence: 1 },
      { clientId: 'c1/0', sequence: 1 },
      { clientId: 'c1/0', sequence: 1 },
      { clientId: 'c1/0', sequence: 2 },
    ]);
  });

  it('repeats a write that was in flight when the Batch stream broke, with the same session', async () => {
    const server = await serve({
      kv: { put: () => putAnswer(9) },
      onBatchRequest: (stream) => stream.breakWith(GrpcStatus.UNAVAILABLE, 'connection reset'),
    });
    const client = connect({ endpoints: [server.address], clientId: 'c2' });
    expect((await client.put('k', 'v')).revision).toBe(9);
    // The broken stream never reached the handler; the retry went unary with the same session.
    expect(server.streamsOpened).toBe(1);
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0]?.via).toBe('unary');
    expect(sessionOf(server.calls[0]?.request ?? {})).toEqual({ clientId: 'c2/0', sequence: 1 });
  });

  it('gives concurrent writes distinct session ids so each id has one write in flight', async () => {
    const server = await serve({ kv: { put: () => putAnswer(1) } });
    const client = connect({ endpoints: [server.address], clientId: 'c3' });
    await Promise.all([client.put('a', '1'), client.put('b', '2'), client.put('c', '3')]);
    const ids = server.calls.map((call) => sessionOf(call.request).clientId);
    expect(new Set(ids).size).toBe(3);
  });

  it('does not retry a compare failure', async () => {
    const server = await serve({
      kv: {
        put: () => {
          throw new FakeFailure({ code: GrpcStatus.FAILED_PRECONDITION, kind: 'compare-failed' });
        },
      },
    });
    const client = connect({ endpoints: [server.address] });
    await expect(client.put('k', 'v', { ifAbsent: true })).rejects.toMatchObject({ name: 'CompareFailedError' });
    expect(server.calls).toHaveLength(1);
    expect(server.calls[0]?.request['ifAbsent']).toBe(true);
  });

  it('does not repeat a membership change whose outcome is unknown', async () => {
    const server = await serve({
      cluster: {
        MemberAddLearner: () => {
          throw new FakeFailure({ code: GrpcStatus.UNAVAILABLE, message: 'connection lost' });
        },
      },
    });
    const client = connect({ endpoints: [server.address] });
    const adding = client.members.addLearner({ name: 'n4', clientAddress: 'a', peerAddress: 'b' });
    await expect(adding).rejects.toBeInstanceOf(UnavailableError);
    expect(server.clusterCalls.filter((call) => call.operation === 'MemberAddLearner')).toHaveLength(1);
  });
});

describe('logins', () => {
  /** A login that answers after `delayMs`, with a token good for a minute. */
  const slowLogin = (delayMs: number) => async () => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    return { token: 'token-1', expiresAtMs: Date.now() + 60_000 };
  };

  it('waits for a login slower than an attempt before a call that is not repeated after an unknown outcome', async () => {
    const server = await serve({ authenticate: slowLogin(600), cluster: { MemberRemove: () => ({ members: [] }) } });
    const client = connect({ endpoints: [server.address], attemptTimeoutMs: 200, deadlineMs: 5000, credentials: { user: 'root', password: 'pw' } });
    await client.members.remove(3);
    expect(server.authCalls).toHaveLength(1);
    expect(server.clusterCalls.filter((call) => call.operation === 'MemberRemove')).toHaveLength(1);
  });

  it('fails a call closed while it waited for its login, and opens no connection', async () => {
    const server = await serve({ authenticate: slowLogin(300), kv: { get: () => ({ kvs: [] }) } });
    const client = connect({ endpoints: [server.address], credentials: { user: 'root', password: 'pw' } });
    const pending = client.get('k').catch((thrown: unknown) => thrown);
    await new Promise((resolve) => setTimeout(resolve, 100));
    client.close();
    expect(await pending).toBeInstanceOf(ClientClosedError);
    expect(server.calls).toHaveLength(0);
  });

  it('fails at the deadline a call whose login never answers, saying the change was not applied', async () => {
    const server = await serve({ authenticate: () => new Promise(() => {}), cluster: { MemberRemove: () => ({ members: [] }) } });
    const client = connect({ endpoints: [server.address], attemptTimeoutMs: 100, deadlineMs: 400, credentials: { user: 'root', password: 'pw' } });
    const error = await client.members.remove(3).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as Error).message).toMatch(/no login answered in time; not applied/);
    expect(server.clusterCalls.filter((call) => call.operation === 'MemberRemove')).toHaveLength(0);
  });
});

describe('deadlines', () => {
  it('keeps writes off a leader that stopped answering, though a follower still names it, and reports every attempt', async () => {
    // The old leader's region went dark: it answers nothing, not even a probe.
    const dark = await serve({ kv: { put: () => new Promise(() => {}) }, cluster: { Status: () => new Promise(() => {}) } });
    let elected = false;
    // A survivor names the old leader until a new one is elected, then forwards (answers) writes.
    const survivor = await serve({
      kv: {
        put: () => {
          if (!elected) throw new FakeFailure({ code: GrpcStatus.UNAVAILABLE, kind: 'not-leader', leader: dark.address });
          return putAnswer(5);
        },
      },
    });
    const attempts: { address: string; outcome: string }[] = [];
    const client = connect({
      endpoints: [dark.address, survivor.address],
      attemptTimeoutMs: 500,
      deadlineMs: 5000,
      onAttempt: (report) => attempts.push({ address: report.address, outcome: report.outcome }),
    });
    setTimeout(() => {
      elected = true;
    }, 800);
    expect((await client.put('a', '1')).revision).toBe(5);
    expect((await client.put('b', '2')).revision).toBe(5);
    // One attempt timeout against the dark leader, then never again within its hold, whatever
    // the survivor's hints said.
    expect(dark.calls).toHaveLength(1);
    expect(attempts[0]).toEqual({ address: dark.address, outcome: 'timeout' });
    expect(attempts.filter((a) => a.address === dark.address)).toHaveLength(1);
    expect(attempts.slice(1).every((a) => a.address === survivor.address)).toBe(true);
    expect(attempts.at(-1)).toEqual({ address: survivor.address, outcome: 'ok' });
  });

  it('gives up at the deadline when the server never answers, saying a write outcome is unknown', async () => {
    const server = await serve({ kv: { put: () => new Promise(() => {}) } });
    const client = connect({ endpoints: [server.address], deadlineMs: 300 });
    const error = await client.put('k', 'v').catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as Error).message).toMatch(/outcome is unknown/);
  });

  it('stops retrying at the deadline when no leader is ever found', async () => {
    const server = await serve({
      kv: {
        get: () => {
          throw new FakeFailure({ code: GrpcStatus.UNAVAILABLE, kind: 'no-leader' });
        },
      },
    });
    const client = connect({ endpoints: [server.address], retry: { backoffBaseMs: 5, backoffMaxMs: 20 } });
    const error = await client.get('k', { deadlineMs: 1000 }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect(server.calls.length).toBeGreaterThan(1);
  });
});

/** Addresses where nothing listens: servers started, then stopped. */
async function deadAddresses(count: number): Promise<string[]> {
  const addresses: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const server = await startFakeServer({});
    addresses.push(server.address);
    await server.stop();
  }
  return addresses;
}

describe('no member reachable', () => {
  it('fails at once with UnreachableError saying the write was not applied, when told not to wait', async () => {
    const endpoints = await deadAddresses(3);
    const client = connect({ endpoints, waitForMembers: false, deadlineMs: 60_000 });
    const error = await client.put('k', 'v').catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(UnreachableError);
    expect(error).toBeInstanceOf(UnavailableError);
    const unreachable = error as UnreachableError;
    expect([...unreachable.endpoints].sort()).toEqual([...endpoints].sort());
    expect(unreachable.mayHaveBeenApplied).toBe(false);
    expect(unreachable.message).toMatch(/^no holdfast member answers at .*; is the cluster running\?/);
    expect(unreachable.message).toMatch(/the put was not applied/);
    expect(unreachable.message).not.toMatch(/may have been applied/);
  });

  it('ends a watch with UnreachableError when told not to wait and no member can be connected to', async () => {
    const endpoints = await deadAddresses(2);
    const client = connect({ endpoints, waitForMembers: false, retry: { backoffBaseMs: 5, backoffMaxMs: 20 } });
    const iteration = (async () => {
      for await (const _batch of client.watch({ prefix: 'k' })) {
        // no member: nothing arrives
      }
    })().catch((thrown: unknown) => thrown);
    const error = await iteration;
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as Error).message).toMatch(/^no holdfast member answers at/);
  });

  it('waits until the deadline by default, then says nothing was sent rather than that the outcome is unknown', async () => {
    const endpoints = await deadAddresses(2);
    // Unary calls: a Batch stream's request that times out while its stream connects counts as
    // possibly sent, which a loaded machine could make happen here.
    const client = connect({ endpoints, deadlineMs: 400, batch: false, retry: { backoffBaseMs: 5, backoffMaxMs: 20 } });
    const error = await client.put('k', 'v').catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as Error).message).toMatch(/not applied/);
    expect((error as Error).message).not.toMatch(/outcome is unknown/);
  });

  it('says why in a few words when the calls went over Batch streams', async () => {
    const endpoints = await deadAddresses(1);
    const client = connect({ endpoints, waitForMembers: false });
    const error = await client.put('k', 'v').catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(UnreachableError);
    expect((error as Error).message).toBe(
      `no holdfast member answers at ${endpoints[0]}; is the cluster running? (connect ECONNREFUSED ${endpoints[0]}; the put was not applied)`,
    );
  });

  it('says the outcome is unknown once an attempt reached a member that did not answer', async () => {
    const [dead] = await deadAddresses(1);
    const silent = await serve({ kv: { put: () => new Promise(() => {}) } });
    const client = connect({ endpoints: [dead!, silent.address], deadlineMs: 600, attemptTimeoutMs: 200, waitForMembers: false });
    const error = await client.put('k', 'v').catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(DeadlineExceededError);
    expect((error as Error).message).toMatch(/outcome is unknown/);
  });
});

describe('abort signals', () => {
  it('refuse a call whose signal already fired, as not applied', async () => {
    const server = await serve({ kv: { put: () => putAnswer(2) } });
    const client = connect({ endpoints: [server.address] });
    const error = await client.put('k', 'v', { signal: AbortSignal.abort() }).catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as AbortedError).mayHaveBeenApplied).toBe(false);
    expect((error as AbortedError).code).toBe('aborted');
    expect(server.calls).toHaveLength(0);
  });

  it('end a write in flight, saying it may have been applied, and free its session only once the attempt settled', async () => {
    let answer: (() => void) | undefined;
    const server = await serve({ kv: { put: () => new Promise((resolve) => (answer = () => resolve(putAnswer(3)))) } });
    const client = connect({ endpoints: [server.address] });
    const controller = new AbortController();
    const pending = client.put('k', 'v', { signal: controller.signal }).catch((thrown: unknown) => thrown);
    await vi.waitFor(() => expect(server.calls).toHaveLength(1));
    controller.abort();
    const error = await pending;
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as AbortedError).mayHaveBeenApplied).toBe(true);
    expect((error as Error).message).toMatch(/put aborted.*may have been applied/);
    // The abandoned attempt still holds its session: the next write takes another one.
    const next = client.put('k2', 'v');
    await vi.waitFor(() => expect(server.calls).toHaveLength(2));
    answer?.();
    await next;
    const first = server.calls[0]!.request['session'] as { clientId: string };
    const second = server.calls[1]!.request['session'] as { clientId: string };
    expect(second.clientId).not.toBe(first.clientId);
  });

  it('end a write waiting between attempts that every member refused, as not applied', async () => {
    const refusing = { kv: { put: () => Promise.reject(new FakeFailure({ code: GrpcStatus.UNAVAILABLE, kind: 'no-leader' })) } };
    const [first, second] = [await serve(refusing), await serve(refusing)];
    // A backoff of 20 s: once the first refusal was reported, the write waits between its
    // attempts (the refusal was handled), and the abort finds it there. The member that answered
    // NO_LEADER is alive and the other has not answered yet: the next attempt would go back to it.
    const outcomes: string[] = [];
    const client = connect({
      endpoints: [first.address, second.address],
      deadlineMs: 60_000,
      retry: { backoffBaseMs: 20_000, backoffMaxMs: 20_000 },
      onAttempt: (attempt) => outcomes.push(attempt.outcome),
    });
    const controller = new AbortController();
    const pending = client.put('k', 'v', { signal: controller.signal }).catch((thrown: unknown) => thrown);
    await vi.waitFor(() => expect(outcomes).toEqual(['no-leader']));
    expect(client.preferredEndpoint).toBe(first.address);
    expect(second.calls).toHaveLength(0);
    controller.abort();
    const error = await pending;
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as AbortedError).mayHaveBeenApplied).toBe(false);
    expect((error as Error).message).toMatch(/not applied/);
  });

  it('end a read waiting between attempts, and a watch, with AbortedError', async () => {
    const server = await serve({
      kv: {
        get: () => {
          throw new FakeFailure({ code: GrpcStatus.UNAVAILABLE, kind: 'no-leader' });
        },
      },
    });
    const client = connect({ endpoints: [server.address], deadlineMs: 60_000 });
    const read = client.get('k', { signal: AbortSignal.timeout(300) }).catch((thrown: unknown) => thrown);
    const error = await read;
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as AbortedError).mayHaveBeenApplied).toBe(false);

    const controller = new AbortController();
    const watch = client.watch({ prefix: 'k' }, { signal: controller.signal });
    const iteration = (async () => {
      for await (const _batch of watch) {
        // nothing arrives: the fake server has no Watch answers
      }
    })().catch((thrown: unknown) => thrown);
    controller.abort();
    expect(await iteration).toBeInstanceOf(AbortedError);
  });
});

describe('close', () => {
  it('fails calls in flight with ClientClosedError and refuses new ones', async () => {
    const server = await serve({ kv: { put: () => new Promise(() => {}) } });
    const client = connect({ endpoints: [server.address] });
    const pending = client.put('k', 'v');
    await vi.waitFor(() => expect(server.calls).toHaveLength(1));
    client.close();
    await expect(pending).rejects.toBeInstanceOf(ClientClosedError);
    await expect(client.get('k')).rejects.toBeInstanceOf(ClientClosedError);
  });
});

describe('pipelining', () => {
  it('carries many concurrent calls over one Batch stream and matches answers given out of order', async () => {
    const callsCount = 200;
    const held: Array<() => Promise<void>> = [];
    const timeoutsMs: number[] = [];
    const server = await serve({
      kv: { put: (request) => putAnswer(Number(text(request['value']))) },
      onBatchRequest: (stream, request) => {
        timeoutsMs.push(request['timeoutMs'] as number);
        held.push(() => stream.answer(request));
        if (held.length === callsCount) {
          for (const answer of held.reverse()) void answer();
        }
      },
    });
    const client = connect({ endpoints: [server.address] });
    const values = Array.from({ length: callsCount }, (_, index) => index + 1);
    const results = await Promise.all(values.map((value) => client.put(`k${value}`, String(value))));
    expect(results.map((result) => result.revision)).toEqual(values);
    expect(server.streamsOpened).toBe(1);
    expect(server.calls.every((call) => call.via === 'batch')).toBe(true);
    // Calls issued in one turn share stream messages, at most streamFrameOpsMax (128) each.
    expect(server.frameSizes).toEqual([128, 72]);
    expect(timeoutsMs.every((timeoutMs) => timeoutMs > 0 && timeoutMs <= 2000)).toBe(true);
  });

  it('falls back to unary calls when the server does not serve Batch', async () => {
    const server = await serve({ batch: false, kv: { put: () => putAnswer(4) } });
    const client = connect({ endpoints: [server.address] });
    expect((await client.put('k', 'v')).revision).toBe(4);
    expect((await client.put('k', 'w')).revision).toBe(4);
    expect(server.calls.map((call) => call.via)).toEqual(['unary', 'unary']);
  });

  it('sends a call that is never repeated after an unknown outcome (compact) as a unary call too', async () => {
    const server = await serve({ batch: false, kv: { compact: () => ({ header: { memberId: 1, term: 1, revision: 9 }, compactRevision: 6 }) } });
    const client = connect({ endpoints: [server.address] });
    expect((await client.compact(6)).compactRevision).toBe(6);
    expect(server.calls.map((call) => call.via)).toEqual(['unary']);
  });
});

describe('requests on the wire', () => {
  it('sends serializable reads when asked and linearizable ones by default', async () => {
    const server = await serve({ kv: { get: () => ({ found: false }) } });
    const client = connect({ endpoints: [server.address] });
    await client.get('k');
    await client.get('k', { consistency: 'serializable' });
    expect(server.calls.map((call) => call.request['consistency'])).toEqual(['LINEARIZABLE', 'SERIALIZABLE']);
  });

  it('walks every page of a range by continuation', async () => {
    const keys = ['a1', 'a2', 'a3', 'a4', 'a5'];
    const server = await serve({
      kv: {
        range: (request) => {
          const after = text(request['continuation']);
          const rest = keys.filter((key) => key > after);
          const page = rest.slice(0, 2);
          return {
            kvs: page.map((key) => ({ key: Buffer.from(key), value: Buffer.from(key.toUpperCase()) })),
            more: rest.length > 2,
            continuation: Buffer.from(page.at(-1) ?? ''),
          };
        },
      },
    });
    const client = connect({ endpoints: [server.address] });
    const seen: string[] = [];
    for await (const kv of client.rangeAll({ prefix: 'a' }, { limit: 2 })) seen.push(`${kv.keyString()}=${kv.valueString()}`);
    expect(seen).toEqual(['a1=A1', 'a2=A2', 'a3=A3', 'a4=A4', 'a5=A5']);
    expect(server.calls).toHaveLength(3);
    expect(text(server.calls[0]?.request['prefix'])).toBe('a');
  });

  it('encodes a transaction built with compare and op', async () => {
    const server = await serve({
      kv: {
        txn: () => ({
          succeeded: true,
          revision: 12,
          results: [{ put: { revision: 12 } }, { get: { found: true, kv: { key: Buffer.from('k'), value: Buffer.from('v') } } }],
        }),
      },
    });
    const client = connect({ endpoints: [server.address] });
    const result = await client.txn({
      compare: [compare.modRevision('k', '=', 5)],
      success: [op.put('k', 'v'), op.get('k')],
      failure: [op.delete('k')],
    });
    expect(result.succeeded).toBe(true);
    expect(result.results.map((entry) => entry.type)).toEqual(['put', 'get']);
    const sent = server.calls[0]?.request ?? {};
    expect(sent['compare']).toMatchObject([{ target: 'MOD_REVISION', op: 'EQUAL', number: 5 }]);
    expect(sent['success']).toMatchObject([{ op: 'put' }, { op: 'get' }]);
    expect(sent['failure']).toMatchObject([{ op: 'delete' }]);
    expect(sessionOf(sent).sequence).toBe(1);
  });

  it('accepts bytes keys and values and returns bytes', async () => {
    const server = await serve({ kv: { put: (request) => ({ revision: 1, prevKv: { key: request['key'], value: request['value'] } }) } });
    const client = connect({ endpoints: [server.address] });
    const result = await client.put(new Uint8Array([0, 255]), new Uint8Array([1, 2, 3]), { prevKv: true });
    expect([...(result.prevKv?.key ?? [])]).toEqual([0, 255]);
    expect([...(result.prevKv?.value ?? [])]).toEqual([1, 2, 3]);
  });

  it('answers with the last error when attempts run out before the deadline', async () => {
    const server = await serve({
      kv: {
        put: () => {
          throw new FakeFailure({ code: GrpcStatus.UNAVAILABLE, kind: 'not-leader' });
        },
      },
    });
    const client = connect({ endpoints: [server.address], retry: { attemptsMax: 3, backoffBaseMs: 1 } });
    await expect(client.put('k', 'v')).rejects.toBeInstanceOf(NotLeaderError);
    expect(server.calls).toHaveLength(3);
  });
});

describe('fenced puts', () => {
  const statusAt = (clusterVersion: number) => () => ({ leaderId: 1, members: [{ member: { id: 1 }, term: 3, clusterVersion }] });
  const txnAnswer = () => ({
    succeeded: true,
    results: [{ put: { revision: 9 } }, { put: { revision: 9 } }],
    revision: 9,
  });

  it('sends the fence txn while the cluster applies below version 7', async () => {
    const server = await serve({ kv: { txn: txnAnswer }, cluster: { Status: statusAt(6) } });
    const client = connect({ endpoints: [server.address] });
    expect((await client.put('res', 'v', { ifFenceAtLeast: 4 })).revision).toBe(9);
    expect(server.calls.map((call) => call.operation)).toEqual(['txn']);
    expect(server.calls[0]?.request['compare']).toMatchObject([{ target: 'VALUE', op: 'LESS' }]);
  });

  it('sends the put with if_fence_at_least once every member takes it, and maps a stale token to StaleFenceError', async () => {
    const server = await serve({
      kv: {
        put: (request) => {
          if (Number(request['ifFenceAtLeast']) < 5) {
            throw new FakeFailure({ code: GrpcStatus.FAILED_PRECONDITION, kind: 'compare-failed', message: `fencing token ${request['ifFenceAtLeast']} is below 5, which the key accepted already` });
          }
          return { revision: 11 };
        },
      },
      cluster: { Status: statusAt(7) },
    });
    const client = connect({ endpoints: [server.address] });
    expect((await client.put('res', 'v', { ifFenceAtLeast: 5 })).revision).toBe(11);
    await expect(client.put('res', 'v', { ifFenceAtLeast: 3 })).rejects.toMatchObject({ name: 'StaleFenceError', token: 3, highestToken: 5 });
    expect(server.calls.map((call) => [call.operation, Number(call.request['ifFenceAtLeast'])])).toEqual([
      ['put', 5],
      ['put', 3],
    ]);
  });
});
