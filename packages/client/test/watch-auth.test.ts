// A watch refused as unauthenticated (auth turned on while it was open, or its token expired)
// logs in again and resumes from the next revision it has not told, when the client holds user
// and password credentials; a refused login, or no credentials, ends it with the refusal.
import { status as GrpcStatus } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, type HoldfastClient, UnauthenticatedError, type Watch } from '../src/index.js';
import { WATCH_RELOGINS_MAX } from '../src/watch.js';
import { type FakeServer, FakeFailure, type FakeWatchStream, startFakeServer } from './fake-server.js';

const servers: FakeServer[] = [];
const clients: HoldfastClient[] = [];

async function serve(options: Parameters<typeof startFakeServer>[0]): Promise<FakeServer> {
  const server = await startFakeServer(options);
  servers.push(server);
  return server;
}

function connect(server: FakeServer, withCredentials: boolean): HoldfastClient {
  const client = createClient({
    endpoints: [server.address],
    random: () => 0.5,
    rttProbeIntervalMs: 0,
    retry: { backoffBaseMs: 5, backoffMaxMs: 20 },
    ...(withCredentials ? { credentials: { user: 'alice', password: 'secret' } } : {}),
  });
  clients.push(client);
  return client;
}

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  for (const server of servers.splice(0)) await server.stop();
});

const header = (revision: number) => ({ memberId: 1, term: 1, revision });
const put = (revision: number) => ({
  type: 'PUT',
  kv: { key: Buffer.from(`k${revision}`), value: Buffer.from('v'), createRevision: revision, modRevision: revision, version: 1 },
});
const refusal = (message: string) => new FakeFailure({ code: GrpcStatus.UNAUTHENTICATED, kind: 'unauthenticated', message });

/** Logins that answer from `tokens` in turn ('' = auth is off); past the end, the last one. */
function logins(tokens: readonly string[]) {
  let asked = 0;
  return () => {
    const token = tokens[Math.min(asked, tokens.length - 1)] ?? '';
    asked += 1;
    return { token, expiresAtMs: Date.now() + 60_000 };
  };
}

/** Iterates `watch`, collecting each event's modRevision; `until` says when to close it. */
async function collect(watch: Watch, until: (revisions: number[]) => boolean): Promise<{ revisions: number[]; error?: unknown }> {
  const revisions: number[] = [];
  try {
    for await (const batch of watch) {
      revisions.push(...batch.events.map((event) => event.kv.modRevision));
      if (until(revisions)) watch.close();
    }
  } catch (error) {
    return { revisions, error };
  }
  return { revisions };
}

describe('watch under auth', () => {
  it('logs in and resumes from the next revision when auth is turned on while it is open', async () => {
    const server = await serve({
      authenticate: logins(['', 't1']),
      onWatch: (stream: FakeWatchStream) => {
        const start = Number(stream.request['startRevision']);
        if (stream.token === undefined) {
          // Opened while auth was off: two changes, then auth goes on.
          stream.send({ header: header(10), created: true, events: [] });
          stream.send({ header: header(12), events: [put(11), put(12)] });
          setTimeout(() => stream.fail(refusal('auth was enabled after this call was opened without credentials')), 20);
          return;
        }
        // Resumed with a token: the server tells from the revision asked, which may repeat 12 if
        // the client asked for it.
        stream.send({ header: header(12), created: true, events: [] });
        stream.send({ header: header(13), events: [...(start <= 12 ? [put(12)] : []), put(13)] });
      },
    });
    const client = connect(server, true);
    const { revisions, error } = await collect(client.watch({ prefix: 'k' }), (seen) => seen.includes(13));
    expect(error).toBeUndefined();
    expect(revisions).toEqual([11, 12, 13]);
    expect(server.watches.map((stream) => stream.token)).toEqual([undefined, 't1']);
    expect(Number(server.watches[1]?.request['startRevision'])).toBe(13);
    expect(server.authCalls).toHaveLength(2);
  });

  it('shares one login among watches whose token expired, and each resumes where it was', async () => {
    const server = await serve({
      authenticate: logins(['t1', 't2']),
      onWatch: (stream: FakeWatchStream) => {
        if (stream.token === 't1') {
          stream.send({ header: header(5), created: true, events: [] });
          stream.send({ header: header(6), events: [put(6)] });
          setTimeout(() => stream.fail(refusal('the token has expired')), 20);
          return;
        }
        const start = Number(stream.request['startRevision']);
        stream.send({ header: header(start - 1), created: true, events: [] });
        stream.send({ header: header(start), events: [put(start)] });
      },
    });
    const client = connect(server, true);
    const [first, second] = await Promise.all([
      collect(client.watch({ prefix: 'k' }), (seen) => seen.length === 2),
      collect(client.watch({ prefix: 'k' }), (seen) => seen.length === 2),
    ]);
    expect(first).toEqual({ revisions: [6, 7] });
    expect(second).toEqual({ revisions: [6, 7] });
    expect(server.watches.map((stream) => stream.token)).toEqual(['t1', 't1', 't2', 't2']);
    expect(server.authCalls).toHaveLength(2);
  });

  it('keeps the new token when the resumed stream breaks for another reason', async () => {
    const server = await serve({
      authenticate: logins(['t1', 't2', 't3']),
      onWatch: (stream: FakeWatchStream) => {
        const opened = server.watches.length;
        if (opened === 1) {
          stream.send({ header: header(5), created: true, events: [] });
          stream.send({ header: header(6), events: [put(6)] });
          setTimeout(() => stream.fail(refusal('the token has expired')), 20);
        } else if (opened === 2) {
          stream.fail(new FakeFailure({ code: GrpcStatus.UNAVAILABLE, kind: 'unavailable', message: 'member stopping' }));
        } else {
          stream.send({ header: header(6), created: true, events: [] });
          stream.send({ header: header(7), events: [put(7)] });
        }
      },
    });
    const client = connect(server, true);
    const { revisions, error } = await collect(client.watch({ prefix: 'k' }), (seen) => seen.length === 2);
    expect(error).toBeUndefined();
    expect(revisions).toEqual([6, 7]);
    expect(server.watches.map((stream) => stream.token)).toEqual(['t1', 't2', 't2']);
    expect(server.authCalls).toHaveLength(2);
  });

  it('ends with the login refusal when the new login is refused', async () => {
    let asked = 0;
    const server = await serve({
      authenticate: () => {
        asked += 1;
        if (asked === 1) return { token: '', expiresAtMs: 0 };
        throw refusal('wrong user name or password');
      },
      onWatch: (stream: FakeWatchStream) => {
        stream.send({ header: header(3), created: true, events: [] });
        setTimeout(() => stream.fail(refusal('auth was enabled after this call was opened without credentials')), 20);
      },
    });
    const client = connect(server, true);
    const { error } = await collect(client.watch({ prefix: 'k' }), () => false);
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect((error as Error).message).toMatch(/wrong user name or password/);
    expect(server.watches).toHaveLength(1);
    expect(server.authCalls).toHaveLength(2);
  });

  it('ends with the refusal at once without credentials', async () => {
    const server = await serve({
      onWatch: (stream: FakeWatchStream) => {
        stream.send({ header: header(3), created: true, events: [] });
        setTimeout(() => stream.fail(refusal('auth was enabled after this call was opened without credentials')), 20);
      },
    });
    const client = connect(server, false);
    const { error } = await collect(client.watch({ prefix: 'k' }), () => false);
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect((error as Error).message).toMatch(/auth was enabled after this call was opened/);
    expect(server.watches).toHaveLength(1);
  });

  it('gives up after a bounded number of refusals in a row, naming them', async () => {
    const server = await serve({
      authenticate: logins(['t1']),
      onWatch: (stream: FakeWatchStream) => {
        stream.send({ header: header(3), created: true, events: [] });
        setTimeout(() => stream.fail(refusal('user "alice" no longer exists')), 5);
      },
    });
    const client = connect(server, true);
    const { error } = await collect(client.watch({ prefix: 'k' }), () => false);
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect((error as Error).message).toMatch(/refused as unauthenticated 4 times in a row.*no longer exists/);
    expect(server.watches).toHaveLength(WATCH_RELOGINS_MAX + 1);
  });
});
