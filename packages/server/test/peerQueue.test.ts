// The per-peer queue both peer links use (peerLink/peerQueue.ts): admission, backoff, reports.
import type { Message } from '@holdfast/raft';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BACKOFF_MS_MAX, BACKOFF_MS_MIN, PeerQueue } from '../src/peerLink/peerQueue.js';
import type { TransportHandlers } from '../src/peerLink/types.js';

const PEER = 2;
const heartbeat = (term: number): Message => ({ type: 'heartbeat', from: 1, to: PEER, term, commit: 0 }) as unknown as Message;

function queueWith(peerQueueMessagesMax: number) {
  const seen = { unreachable: 0, depths: [] as number[], reachable: [] as boolean[] };
  const handlers = {
    reportUnreachable: () => {
      seen.unreachable += 1;
    },
    queueDepthChanged: (_to: number, depth: number) => seen.depths.push(depth),
    peerReachable: (_to: number, reachable: boolean) => seen.reachable.push(reachable),
  } as unknown as TransportHandlers;
  const queue = new PeerQueue(PEER, { peerQueueMessagesMax, handlers, logger: pino({ level: 'silent' }) });
  return { queue, seen };
}

describe('PeerQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('admits up to its limit, then drops and reports the peer unreachable for each message refused', () => {
    const { queue, seen } = queueWith(2);
    queue.admit(heartbeat(1));
    queue.admit(heartbeat(2));
    queue.admit(heartbeat(3));
    expect(queue.depth).toBe(2);
    expect(seen.unreachable).toBe(1);
    expect(queue.take().map((m) => m.term)).toEqual([1, 2]);
    expect(queue.depth).toBe(0);
    queue.admit(heartbeat(4));
    expect(queue.depth).toBe(1);
  });

  it('refuses messages while backing off, doubling the wait up to its maximum, and starts again once the peer answers', () => {
    const { queue, seen } = queueWith(10);
    const waits: number[] = [];
    for (let failure = 0; failure < 5; failure++) {
      queue.backOff();
      let waitedMs = 0;
      while (queue.backingOff()) {
        queue.admit(heartbeat(1));
        vi.advanceTimersByTime(10);
        waitedMs += 10;
      }
      waits.push(waitedMs);
    }
    expect(waits).toEqual([BACKOFF_MS_MIN, 2 * BACKOFF_MS_MIN, 4 * BACKOFF_MS_MIN, BACKOFF_MS_MAX, BACKOFF_MS_MAX]);
    expect(queue.depth).toBe(0);
    expect(seen.unreachable).toBe(waits.reduce((sum, ms) => sum + ms / 10, 0));
    queue.answered();
    queue.backOff();
    vi.advanceTimersByTime(BACKOFF_MS_MIN);
    expect(queue.backingOff()).toBe(false);
  });

  it('drops what is queued once with one report and a zero depth, and tells reachability changes', () => {
    const { queue, seen } = queueWith(10);
    queue.dropAll();
    expect(seen.unreachable).toBe(0);
    queue.admit(heartbeat(1));
    queue.admit(heartbeat(2));
    queue.reportDepth();
    queue.dropAll();
    expect([queue.depth, seen.unreachable, seen.depths]).toEqual([0, 1, [2, 0]]);
    queue.failedAt('127.0.0.1:1', 'refused');
    queue.answered();
    expect(seen.reachable).toEqual([false, true]);
    queue.admit(heartbeat(3));
    queue.clear();
    expect([queue.depth, seen.unreachable]).toEqual([0, 1]);
  });
});
