// The keepalive stream's reopen and fallback rules, against a fake port (no network): each open
// stream is scripted by the test, the clock the backoff reads is the test's.
import { Metadata, status as GrpcStatus } from '@grpc/grpc-js';
import type { LeaseKeepAliveStreamRequest } from '@holdfast/protocol';
import { describe, expect, it } from 'vitest';
import { DeadlineExceededError, type HoldfastError, LeaseNotFoundError, UnavailableError } from '../src/errors.js';
import { KeepAliveMux, type KeepAliveStreamPort, type StreamStatus } from '../src/keepalive-stream.js';
import { LeaseKeepAlive } from '../src/leases.js';

interface FakeStream {
  address: string;
  token: string | undefined;
  written: LeaseKeepAliveStreamRequest[];
  cancelled: boolean;
  answer(tag: number, ttlMs: number): void;
  refuse(tag: number, code: number, kind: string): void;
  end(code: number): void;
}

function fakePort(startAddress = 'a:1') {
  const streams: FakeStream[] = [];
  const unary: number[] = [];
  const failed: { address: string; error: HoldfastError }[] = [];
  const refused: (string | undefined)[] = [];
  const credentials = { token: undefined as string | undefined };
  let address = startAddress;
  const port: KeepAliveStreamPort = {
    address: () => address,
    token: () => credentials.token,
    refused: (token) => {
      refused.push(token);
      credentials.token = undefined;
    },
    open: (to, onMessage, onEnd) => {
      const stream: FakeStream = {
        address: to,
        token: credentials.token,
        written: [],
        cancelled: false,
        answer: (tag, ttlMs) => onMessage({ tag: tag, keepAlive: { header: null, id: 0, ttlMs }, result: 'keepAlive' }),
        refuse: (tag, code, kind) => onMessage({ tag: tag, error: { code, kind, message: kind, leader: '' }, result: 'error' }),
        end: (code) => onEnd({ code, details: 'ended', metadata: new Metadata() } satisfies StreamStatus),
      };
      streams.push(stream);
      return {
        write: (request) => stream.written.push(request),
        cancel: () => {
          stream.cancelled = true;
        },
      };
    },
    unary: async (id) => {
      unary.push(id);
      return 5000;
    },
    failed: (to, error) => {
      failed.push({ address: to, error });
      address = 'b:2';
    },
  };
  return { port, streams, unary, failed, refused, credentials, moveTo: (next: string) => (address = next) };
}

const tagOf = (stream: FakeStream | undefined, index: number): number => Number(stream?.written[index]?.tag);
const far = (): number => Date.now() + 60_000;

describe('KeepAliveMux', () => {
  it('multiplexes the keepalives of several leases over one stream, each answered by its tag', async () => {
    const { port, streams } = fakePort();
    const mux = new KeepAliveMux(port);
    const one = mux.keepAliveOnce(1, far());
    const two = mux.keepAliveOnce(2, far());
    expect(streams).toHaveLength(1);
    expect(streams[0]?.written.map((r) => r.id)).toEqual([1, 2]);
    streams[0]?.answer(tagOf(streams[0], 1), 7000);
    streams[0]?.answer(tagOf(streams[0], 0), 6000);
    expect(await one).toBe(6000);
    expect(await two).toBe(7000);
    mux.close();
  });

  it('reopens a failed stream on another member after a backoff that doubles, using the unary call meanwhile', async () => {
    let now = 1000;
    const { port, streams, unary, failed } = fakePort();
    const mux = new KeepAliveMux(port, { backoffMinMs: 100, backoffMaxMs: 1000, nowMs: () => now });
    const inFlight = mux.keepAliveOnce(1, far());
    streams[0]?.end(GrpcStatus.UNAVAILABLE);
    await expect(inFlight).rejects.toBeInstanceOf(UnavailableError);
    expect(failed.map((f) => f.address)).toEqual(['a:1']);
    // Within the backoff: the unary call, no new stream.
    expect(await mux.keepAliveOnce(1, far())).toBe(5000);
    expect(unary).toEqual([1]);
    expect(streams).toHaveLength(1);
    // After it: a new stream, to the member the port names now.
    now += 100;
    const second = mux.keepAliveOnce(1, far());
    expect(streams).toHaveLength(2);
    expect(streams[1]?.address).toBe('b:2');
    // It fails too: the next backoff is twice as long.
    streams[1]?.end(GrpcStatus.UNAVAILABLE);
    await expect(second).rejects.toBeInstanceOf(UnavailableError);
    now += 150;
    await mux.keepAliveOnce(1, far());
    expect(streams).toHaveLength(2);
    now += 50;
    const third = mux.keepAliveOnce(1, far());
    expect(streams).toHaveLength(3);
    // An answer starts the backoff again from its least.
    streams[2]?.answer(tagOf(streams[2], 0), 5000);
    await third;
    streams[2]?.end(GrpcStatus.UNAVAILABLE);
    now += 100;
    void mux.keepAliveOnce(1, far()).catch(() => {});
    expect(streams).toHaveLength(4);
    expect(mux.counts).toMatchObject({ streamsOpened: 4, streamFailures: 3, unaryKeepAlives: 2 });
    mux.close();
  });

  it('falls back to the unary call for a member that answers UNIMPLEMENTED, and streams to one that serves it', async () => {
    let now = 1000;
    const { port, streams, unary, failed, moveTo } = fakePort();
    const mux = new KeepAliveMux(port, { backoffMinMs: 100, nowMs: () => now });
    const first = mux.keepAliveOnce(3, far());
    streams[0]?.end(GrpcStatus.UNIMPLEMENTED);
    await expect(first).rejects.toBeInstanceOf(UnavailableError);
    // Not a failure of the member: it stays the one to ask, with unary keepalives, for good.
    expect(failed).toEqual([]);
    now += 10_000;
    expect(await mux.keepAliveOnce(3, far())).toBe(5000);
    expect(await mux.keepAliveOnce(3, far())).toBe(5000);
    expect(unary).toEqual([3, 3]);
    expect(streams).toHaveLength(1);
    moveTo('c:3');
    void mux.keepAliveOnce(3, far()).catch(() => {});
    expect(streams).toHaveLength(2);
    expect(streams[1]?.address).toBe('c:3');
    mux.close();
  });

  it('keeps the stream on a lease-not-found answer, gives it up on a member without a leader or an answer in time', async () => {
    const now = 1000;
    const { port, streams, failed } = fakePort();
    const mux = new KeepAliveMux(port, { nowMs: () => now });
    const gone = mux.keepAliveOnce(9, far());
    streams[0]?.refuse(tagOf(streams[0], 0), GrpcStatus.NOT_FOUND, 'lease-not-found');
    await expect(gone).rejects.toBeInstanceOf(LeaseNotFoundError);
    expect(mux.isStreaming).toBe(true);
    const noLeader = mux.keepAliveOnce(1, far());
    const alongside = mux.keepAliveOnce(2, far());
    streams[0]?.refuse(tagOf(streams[0], 1), GrpcStatus.UNAVAILABLE, 'no-leader');
    await expect(noLeader).rejects.toMatchObject({ code: 'no-leader' });
    // The other keepalive on the stream fails with it, retryably, and the stream is cancelled.
    await expect(alongside).rejects.toBeInstanceOf(UnavailableError);
    expect(streams[0]?.cancelled).toBe(true);
    expect(failed.map((f) => f.error.code)).toEqual(['no-leader']);
    const mux2 = new KeepAliveMux(fakePort().port, { nowMs: () => now });
    await expect(mux2.keepAliveOnce(1, Date.now() + 20)).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(mux2.isStreaming).toBe(false);
    // A member that does not answer gives the stream up after the attempt timeout, long before a far deadline.
    const mux3 = new KeepAliveMux(fakePort().port, { nowMs: () => now, attemptTimeoutMs: 30 });
    await expect(mux3.keepAliveOnce(1, Date.now() + 60_000)).rejects.toBeInstanceOf(DeadlineExceededError);
    expect(mux3.isStreaming).toBe(false);
    mux3.close();
    mux.close();
    mux2.close();
  });

  it('opens a new stream when the token is renewed; the old one ends once it answered its keepalives', async () => {
    const { port, streams, credentials } = fakePort();
    credentials.token = 't1';
    const mux = new KeepAliveMux(port);
    const onOld = mux.keepAliveOnce(1, far());
    credentials.token = 't2';
    const onNew = mux.keepAliveOnce(2, far());
    expect(streams.map((s) => s.token)).toEqual(['t1', 't2']);
    expect(streams[0]?.cancelled).toBe(false);
    streams[0]?.answer(tagOf(streams[0], 0), 6000);
    expect(await onOld).toBe(6000);
    expect(streams[0]?.cancelled).toBe(true);
    streams[1]?.answer(tagOf(streams[1], 0), 7000);
    expect(await onNew).toBe(7000);
    expect(streams[1]?.cancelled).toBe(false);
    mux.close();
  });

  it('goes unary after a stream refused as unauthenticated, until a new token opens a stream; no backoff, no move', async () => {
    const now = 1000;
    const { port, streams, unary, failed, refused, credentials } = fakePort();
    credentials.token = 't1';
    const mux = new KeepAliveMux(port, { backoffMinMs: 60_000, nowMs: () => now });
    const first = mux.keepAliveOnce(1, far());
    streams[0]?.end(GrpcStatus.UNAUTHENTICATED);
    await expect(first).rejects.toBeInstanceOf(UnavailableError);
    expect(refused).toEqual(['t1']);
    expect(failed).toEqual([]);
    // No token held yet: the unary call (which logs in) rather than a stream refused again.
    expect(await mux.keepAliveOnce(1, far())).toBe(5000);
    expect(unary).toEqual([1]);
    expect(streams).toHaveLength(1);
    credentials.token = 't2';
    void mux.keepAliveOnce(1, far()).catch(() => {});
    expect(streams.map((s) => s.token)).toEqual(['t1', 't2']);
    mux.close();
  });

  it('keeps a lease alive through a broken stream: the retry goes by the unary call', async () => {
    const { port, streams, unary } = fakePort();
    const mux = new KeepAliveMux(port, { backoffMinMs: 60_000 });
    const keepAlive = new LeaseKeepAlive(4, 5000, mux, { intervalMs: 20 });
    // The first keepalive is on the stream, which then breaks.
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(streams[0]?.written.map((r) => r.id)).toEqual([4]);
    streams[0]?.end(GrpcStatus.UNAVAILABLE);
    const acks: number[] = [];
    for await (const ack of keepAlive) {
      acks.push(ack.ttlMs);
      if (acks.length === 2) break;
    }
    expect(acks).toEqual([5000, 5000]);
    expect(unary.length).toBeGreaterThanOrEqual(2);
    expect(keepAlive.isLost).toBe(false);
    keepAlive.close();
    mux.close();
  });
});
