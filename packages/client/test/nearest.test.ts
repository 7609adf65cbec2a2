/**
 * Nearest routing (nearest.ts): endpoints ordered by measured round trip, a failed one skipped
 * (the hold doubling per failure) until it answers again, unmeasured ones after measured ones.
 */
import { describe, expect, it } from 'vitest';
import { EndpointDistances } from '../src/nearest.js';

function distances(now: { ms: number }) {
  return new EndpointDistances(['a', 'b', 'c'], {
    probeIntervalMs: 0,
    failureHoldMsMin: 1000,
    failureHoldMsMax: 8000,
    probe: async () => {},
    nowMs: () => now.ms,
  });
}

describe('endpoint distances', () => {
  it('orders by measured round trip, unmeasured last (the preferred region first among them)', () => {
    const now = { ms: 0 };
    const d = distances(now);
    expect(d.measured).toBe(false);
    d.noteAnswer('c', 5);
    d.noteAnswer('b', 40);
    expect(d.order()).toEqual(['c', 'b', 'a']);
    d.noteAnswer('c', 80); // smoothed: 5 + (80 - 5) / 8
    expect(d.rttMs('c')).toBeCloseTo(14.375);
    const fresh = distances(now);
    expect(fresh.order((address) => address === 'b')).toEqual(['b', 'a', 'c']);
  });

  it('ranks by the smallest recent round trip: one slow answer does not put a near endpoint behind a far one', () => {
    const now = { ms: 0 };
    const d = distances(now);
    // c is near but its first answer came late (a loaded machine); b is far.
    d.noteAnswer('c', 150);
    d.noteAnswer('b', 60);
    expect(d.order()).toEqual(['b', 'c', 'a']);
    d.noteAnswer('c', 5);
    // Smoothed, c would still be ranked at 150 + (5 - 150) / 8 = 131.9, behind b.
    expect(d.rttMs('c')).toBeCloseTo(131.875);
    expect(d.distanceMs('c')).toBe(5);
    expect(d.order()).toEqual(['c', 'b', 'a']);
    // A member that moved away: once its near sample is 8 samples old, its new distance counts.
    for (let i = 0; i < 8; i += 1) d.noteAnswer('c', 100);
    expect(d.distanceMs('c')).toBe(100);
    expect(d.order()).toEqual(['b', 'c', 'a']);
  });

  it('skips a failed endpoint until its hold runs out or it answers, the hold doubling per failure', () => {
    const now = { ms: 0 };
    const d = distances(now);
    d.noteAnswer('a', 1);
    d.noteAnswer('b', 2);
    d.noteAnswer('c', 3);
    d.noteFailure('a');
    expect(d.order()).toEqual(['b', 'c', 'a']);
    now.ms = 1001;
    expect(d.order()[0]).toBe('a');
    d.noteFailure('a');
    now.ms = 2500;
    expect(d.isAvoided('a')).toBe(true);
    now.ms = 3002;
    expect(d.isAvoided('a')).toBe(false);
    d.noteFailure('a');
    d.noteAnswer('a');
    expect(d.order()[0]).toBe('a');
  });

  it('with probes, lets a failed endpoint back only once a probe sent after its hold answers', async () => {
    const now = { ms: 0 };
    const probed: string[] = [];
    let answer: (() => void) | undefined;
    let fail: ((error: Error) => void) | undefined;
    const d = new EndpointDistances(['a', 'b'], {
      probeIntervalMs: 5000,
      failureHoldMsMin: 1000,
      failureHoldMsMax: 8000,
      probe: (address) => {
        probed.push(address);
        return new Promise<void>((resolve, reject) => {
          answer = resolve;
          fail = reject;
        });
      },
      nowMs: () => now.ms,
    });
    d.noteFailure('a');
    expect(d.isAvoided('a')).toBe(true);
    expect(probed).toEqual([]);
    // The hold ran out: one probe goes out, and the endpoint stays skipped while it is in flight.
    now.ms = 1001;
    expect(d.isAvoided('a')).toBe(true);
    expect(d.isAvoided('a')).toBe(true);
    expect(d.order()).toEqual(['b', 'a']);
    expect(probed).toEqual(['a']);
    // The probe fails (the member is still dead): skipped for twice as long, no probe meanwhile.
    fail?.(new Error('unreachable'));
    await Promise.resolve();
    await Promise.resolve();
    now.ms = 2500;
    expect(d.isAvoided('a')).toBe(true);
    expect(probed).toEqual(['a']);
    now.ms = 3100;
    expect(d.isAvoided('a')).toBe(true);
    expect(probed).toEqual(['a', 'a']);
    // It answers: used again at once.
    answer?.();
    await Promise.resolve();
    await Promise.resolve();
    expect(d.isAvoided('a')).toBe(false);
    expect(d.failuresOf('a')).toBe(0);
  });

  it('never avoids an address that is not one of its endpoints', () => {
    const d = distances({ ms: 0 });
    d.noteFailure('elsewhere');
    expect(d.isAvoided('elsewhere')).toBe(false);
  });

  it('tells how long ago each endpoint last answered, a failure not resetting it', () => {
    const now = { ms: 1000 };
    const d = distances(now);
    expect(d.answerAgeMs('a')).toBeUndefined();
    d.noteAnswer('a');
    now.ms = 1500;
    d.noteFailure('a');
    now.ms = 1700;
    expect(d.answerAgeMs('a')).toBe(700);
    expect(d.answerAgeMs('b')).toBeUndefined();
    expect(d.answerAgeMs('elsewhere')).toBeUndefined();
  });
});
