/**
 * Simulated time for the real node: every timer, deferred turn and disk completion of every
 * member is an event in one queue, ordered by time and then by the order it was scheduled in.
 * After each event the microtasks it caused (promise continuations, LevelDB calls on
 * memory-level) run to completion before the next event, so a seed replays event for event.
 */
import type { Clock, TimerHandle, Timers } from '@holdfast/server';
import { EventQueue } from '../eventQueue.js';

/** Lets every queued microtask and nextTick run: awaiting a macrotask drains both queues. */
export function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface ScheduledCallback {
  cancelled: boolean;
  readonly run: () => void;
}

export class SimScheduler {
  private readonly queue: EventQueue<ScheduledCallback>;
  /** Simulated milliseconds since the start of the run. */
  private nowMs = 0;
  eventsRun = 0;

  constructor(
    sizeMax: number,
    /** Wall clock of simulated time 0 (any fixed instant: sessions and deadlines use it). */
    readonly epochMs = 1_700_000_000_000,
  ) {
    this.queue = new EventQueue(sizeMax);
  }

  get now(): number {
    return this.nowMs;
  }

  at(timeMs: number, run: () => void): ScheduledCallback {
    const scheduled: ScheduledCallback = { cancelled: false, run };
    this.queue.push(Math.max(timeMs, this.nowMs), scheduled);
    return scheduled;
  }

  after(delayMs: number, run: () => void): ScheduledCallback {
    return this.at(this.nowMs + Math.max(0, delayMs), run);
  }

  /** Runs every event due at or before `timeMs`, draining microtasks after each; then time is `timeMs`. */
  async runUntil(timeMs: number, afterEach?: () => Promise<void> | void, eventsMax = 1_000_000): Promise<void> {
    for (;;) {
      const next = this.queue.peekTime();
      if (next === undefined || next > timeMs) break;
      const event = this.queue.pop();
      if (event === undefined) break;
      this.nowMs = event.time;
      if (event.item.cancelled) continue;
      this.eventsRun += 1;
      if (this.eventsRun > eventsMax) throw new RangeError(`more than ${eventsMax} events in one run`);
      event.item.run();
      await drainMicrotasks();
      if (afterEach) await afterEach();
    }
    this.nowMs = Math.max(this.nowMs, timeMs);
  }
}

/**
 * One member's clock and timers. Callbacks of an earlier incarnation (before a crash) are
 * dropped; while the member is paused they wait and run when it resumes, in order.
 */
export class MemberTime implements Clock, Timers {
  private incarnation = 0;
  private paused = false;
  private held: (() => void)[] = [];
  /**
   * How fast this member's clock runs against simulated time (1: exactly; 1.05: 5 % fast). Its
   * monotonic clock and its timers follow it; the wall clock stays true (sessions and deadlines
   * are not what a drifting clock threatens). Changed only through setRate.
   */
  private clockRate = 1;
  /** The monotonic clock's reading when the rate last changed, and the simulated time then. */
  private rateSince = { monotonicMs: 0, simulatedMs: 0 };

  constructor(private readonly scheduler: SimScheduler) {}

  get rate(): number {
    return this.clockRate;
  }

  /** From now on the member's clock runs at `rate` (the monotonic clock never goes back). */
  setRate(rate: number): void {
    this.rateSince = { monotonicMs: this.monotonicMs(), simulatedMs: this.scheduler.now };
    this.clockRate = rate;
  }

  wallMs(): number {
    return this.scheduler.epochMs + this.scheduler.now;
  }

  monotonicMs(): number {
    return this.rateSince.monotonicMs + (this.scheduler.now - this.rateSince.simulatedMs) * this.clockRate;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    // Whole simulated milliseconds (wall-clock stamps stay integers), never before the member's clock says.
    return this.scheduler.after(Math.ceil(delayMs / this.clockRate), this.guard(callback));
  }

  clearTimeout(handle: TimerHandle): void {
    if (handle !== undefined) (handle as ScheduledCallback).cancelled = true;
  }

  defer(callback: () => void): void {
    this.scheduler.after(0, this.guard(callback));
  }

  /** Resolves after `delayMs` of simulated time (never, if the member crashes meanwhile). */
  sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.scheduler.after(delayMs, this.guard(resolve)));
  }

  /** A crash: nothing scheduled so far runs any more. */
  crash(): void {
    this.incarnation += 1;
    this.paused = false;
    this.held = [];
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const held = this.held;
    this.held = [];
    for (const callback of held) this.scheduler.after(0, callback);
  }

  get isPaused(): boolean {
    return this.paused;
  }

  private guard(callback: () => void): () => void {
    const incarnation = this.incarnation;
    const guarded = (): void => {
      if (incarnation !== this.incarnation) return;
      if (this.paused) this.held.push(guarded);
      else callback();
    };
    return guarded;
  }
}
