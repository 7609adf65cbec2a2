import { OverloadedError } from './errors.js';
import type { Session } from '@holdfast/protocol';

/**
 * Sessions make writes safe to retry: the server remembers the last answer per session id and
 * answers a repeated (id, sequence) with it instead of applying the write again.
 *
 * Because the server keeps only the LAST answer per id, one id must never have two writes in
 * flight: a retry of an older sequence would find a newer answer. So the client owns a pool of
 * slots, `<clientId>/<n>`, each with its own increasing sequence and at most one write in flight;
 * concurrent writes take different slots. The pool grows to the peak write concurrency (bounded
 * by `slotsMax`) and reuses freed slots first, so the server sees few ids per client.
 *
 * Invariant: a slot is either free or held by exactly one call; its sequence only grows.
 */
export class SessionSlot {
  readonly id: string;
  private sequence = 0;

  constructor(id: string) {
    this.id = id;
  }

  /**
   * The next sequence; every attempt of one write reuses the session this returns, unless the
   * write was refused auth-changed (never applied): it is then sent again with the next one.
   */
  nextSession(): Session {
    this.sequence += 1;
    return { clientId: this.id, sequence: this.sequence };
  }
}

export class SessionPool {
  readonly clientId: string;
  private readonly slotsMax: number;
  private readonly free: SessionSlot[] = [];
  private readonly held = new Set<SessionSlot>();
  private created = 0;

  constructor(options: { clientId: string; slotsMax: number }) {
    this.clientId = options.clientId;
    this.slotsMax = options.slotsMax;
  }

  acquire(): SessionSlot {
    let slot = this.free.pop();
    if (slot === undefined) {
      if (this.created >= this.slotsMax) {
        throw new OverloadedError(`${this.held.size} writes in flight (limit ${this.slotsMax})`, { code: 'overloaded' });
      }
      slot = new SessionSlot(`${this.clientId}/${this.created}`);
      this.created += 1;
    }
    this.held.add(slot);
    return slot;
  }

  release(slot: SessionSlot): void {
    if (!this.held.delete(slot)) throw new Error(`session slot ${slot.id} released twice or never acquired`);
    this.free.push(slot);
  }

  get inFlight(): number {
    return this.held.size;
  }
}
