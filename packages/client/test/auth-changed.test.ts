/**
 * A write refused auth-changed (checked against an auth state an auth change replaced before it
 * applied; nothing applied, its session keeps the refusal) is sent again by the SDK as a new write
 * of the same session slot, a bounded number of times. The fake server here keeps sessions as
 * the cluster does: a refused (client id, sequence) is answered auth-changed again.
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { AuthChangedError, createClient, type HoldfastClient, PermissionDeniedError } from '../src/index.js';
import { type FakeServer, FakeFailure, putAnswer, type Request, startFakeServer } from './fake-server.js';

const servers: FakeServer[] = [];
const clients: HoldfastClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await server.stop();
});

type Verdict = 'apply' | 'auth-changed' | 'permission-denied';

/** A member answering each new write with the next verdict (the last one repeats), and a refused session with its refusal. */
async function memberAnswering(verdicts: readonly Verdict[]): Promise<{ server: FakeServer; client: HoldfastClient }> {
  const answered = new Map<string, Verdict>();
  let next = 0;
  const server = await startFakeServer({
    kv: {
      put: (request: Request) => {
        const session = request['session'] as { clientId: string; sequence: number };
        const id = `${session.clientId}#${session.sequence}`;
        const verdict = answered.get(id) ?? verdicts[Math.min(next++, verdicts.length - 1)]!;
        answered.set(id, verdict);
        if (verdict === 'auth-changed') {
          throw new FakeFailure({ code: GrpcStatus.ABORTED, kind: 'auth-changed', message: 'put was authorized against auth revision 7; an auth change applied before it (auth revision 8 now)' });
        }
        if (verdict === 'permission-denied') throw new FakeFailure({ code: GrpcStatus.PERMISSION_DENIED, kind: 'permission-denied', message: 'Put: user "alice" has no readwrite grant' });
        return putAnswer(5);
      },
    },
  });
  servers.push(server);
  const client = createClient({ endpoints: [server.address], clientId: 'c', random: () => 0.5 });
  clients.push(client);
  return { server, client };
}

const sessionsSent = (server: FakeServer) => server.calls.map((call) => call.request['session']);

describe('a write refused auth-changed', () => {
  it('is sent again with the session slot\'s next sequence, and applied when the caller may still write', async () => {
    const { server, client } = await memberAnswering(['auth-changed', 'apply']);
    expect((await client.put('k', 'v')).revision).toBe(5);
    await client.put('k', 'w');
    expect(sessionsSent(server)).toEqual([
      { clientId: 'c/0', sequence: 1 },
      { clientId: 'c/0', sequence: 2 },
      { clientId: 'c/0', sequence: 3 },
    ]);
  });

  it('ends as the resend is refused when the change took the caller\'s right away', async () => {
    const { server, client } = await memberAnswering(['auth-changed', 'permission-denied']);
    await expect(client.put('k', 'v')).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(sessionsSent(server)).toHaveLength(2);
  });

  it('is sent at most twice more, then throws AuthChangedError saying nothing was applied', async () => {
    const { server, client } = await memberAnswering(['auth-changed']);
    const error = await client.put('k', 'v').catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(AuthChangedError);
    expect((error as AuthChangedError).code).toBe('auth-changed');
    expect((error as AuthChangedError).grpcCode).toBe(GrpcStatus.ABORTED);
    expect((error as AuthChangedError).mayHaveBeenApplied).toBe(false);
    expect((error as Error).message).toMatch(/auth revision 7.*auth revision 8/);
    expect(sessionsSent(server)).toEqual([1, 2, 3].map((sequence) => ({ clientId: 'c/0', sequence })));
  });
});

describe('an admin change refused auth-changed (no session)', () => {
  const refused = (): FakeFailure =>
    new FakeFailure({ code: GrpcStatus.ABORTED, kind: 'auth-changed', message: 'authorized against auth revision 7; an auth change applied before it (auth revision 8 now)' });

  it('is a compaction sent again as it is, and its answer is the resend\'s', async () => {
    let sends = 0;
    const server = await startFakeServer({
      kv: {
        compact: () => {
          sends += 1;
          if (sends === 1) throw refused();
          return { header: { memberId: 1, term: 1, revision: 9 }, compactRevision: 6 };
        },
      },
    });
    servers.push(server);
    const client = createClient({ endpoints: [server.address], clientId: 'c', random: () => 0.5 });
    clients.push(client);
    expect((await client.compact(6)).compactRevision).toBe(6);
    expect(server.calls.map((call) => call.request['revision'])).toEqual([6, 6]);
  });

  it('is a placement change sent again as it is, ending as the resend is refused', async () => {
    let sends = 0;
    const server = await startFakeServer({
      cluster: {
        SetPlacement: () => {
          sends += 1;
          if (sends === 1) throw refused();
          throw new FakeFailure({ code: GrpcStatus.PERMISSION_DENIED, kind: 'permission-denied', message: 'SetPlacement: user "carol" has no membership right' });
        },
      },
    });
    servers.push(server);
    const client = createClient({ endpoints: [server.address], clientId: 'c', random: () => 0.5 });
    clients.push(client);
    await expect(client.setPlacement({ leaderRegions: ['eu-west'] })).rejects.toBeInstanceOf(PermissionDeniedError);
    expect(server.clusterCalls.map((call) => call.request['leaderRegions'])).toEqual([['eu-west'], ['eu-west']]);
  });
});
