import type { ApplyResult } from '@holdfast/storage';
import { describe, expect, it } from 'vitest';
import { ManualTime } from '../src/driver/twins.js';
import { WriteWaiters } from '../src/driver/write-waiters.js';
import { type HoldfastError, TimeoutError } from '../src/errors.js';

/** Waiters over manual time, with what each one was answered by its index. */
function setup() {
  const time = new ManualTime();
  let applied = 0;
  const waiters = new WriteWaiters(time, time, () => applied);
  const answers = new Map<number, string>();
  const add = (index: number, deadlineInMs: number): void => {
    const note = (what: string) => () => answers.set(index, what);
    waiters.add(
      { index, slot: 0 },
      {
        term: 1,
        resolve: note('applied'),
        reject: (error: HoldfastError) => answers.set(index, error instanceof TimeoutError ? 'timeout' : error.name),
      },
      time.wallMs() + deadlineInMs,
    );
    waiters.checkInvariants();
  };
  const apply = (index: number): void => {
    applied = index;
    const result: ApplyResult = { index, slot: 0, term: 1, outcome: { type: 'noop' }, duplicate: false };
    waiters.answer([result], false);
    waiters.checkInvariants();
  };
  return { time, waiters, answers, add, apply };
}

describe('WriteWaiters deadlines (one expiry timer for all waiters)', () => {
  it('times each write out at its own deadline, whatever order the deadlines came in', () => {
    const { time, waiters, answers, add } = setup();
    add(1, 300);
    add(2, 100);
    add(3, 200);
    add(4, 1_000);
    time.advance(99);
    expect([...answers]).toEqual([]);
    time.advance(1);
    expect(answers.get(2)).toBe('timeout');
    expect(answers.size).toBe(1);
    waiters.checkInvariants();
    time.advance(100);
    expect(answers.get(3)).toBe('timeout');
    time.advance(100);
    expect(answers.get(1)).toBe('timeout');
    expect(answers.has(4)).toBe(false);
    waiters.checkInvariants();
    time.advance(800);
    expect(answers.get(4)).toBe('timeout');
    expect(waiters.count).toBe(0);
    waiters.checkInvariants();
  });

  it('answers writes that apply before their deadline, and leaves no timer behind once none waits', () => {
    const { time, waiters, answers, add, apply } = setup();
    add(1, 100);
    add(2, 50);
    apply(1);
    apply(2);
    expect(answers.get(1)).toBe('applied');
    expect(answers.get(2)).toBe('applied');
    expect(waiters.count).toBe(0);
    // Disarmed: checkInvariants asserts the timer is armed exactly while waiters are held.
    waiters.checkInvariants();
    add(3, 100);
    time.advance(100);
    expect(answers.get(3)).toBe('timeout');
    waiters.checkInvariants();
  });

  it('times out a write whose deadline already passed when it was added', () => {
    const { time, answers, add } = setup();
    add(1, 0);
    expect(answers.size).toBe(0);
    time.advance(0);
    expect(answers.get(1)).toBe('timeout');
  });
});
