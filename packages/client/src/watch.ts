/**
 * A watch: the changes to a key, a range or a prefix, as an async iterable of batches, that
 * survives the loss of the member it listens to.
 *
 * Every response of the server's Watch stream says, in its header revision, that every matching
 * change up to that revision was sent. The watch remembers the next revision it needs and, when
 * the stream breaks (the member stops, the link dies, or nothing arrives for idleTimeoutMs while
 * members send progress every few seconds), opens a new one from that revision on another member:
 * no change is told twice or skipped. Only if no member keeps changes that old any more does it
 * end with WatchCompactedError.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { WatchRequest, WatchResponse__Output } from '@holdfast/protocol';
import {
  AbortedError,
  ClientClosedError,
  type HoldfastError,
  HoldfastError as HoldfastErrorClass,
  toHoldfastError,
  UnauthenticatedError,
  UnavailableError,
  CompactedError,
  WatchCompactedError,
  wasNeverSent,
} from './errors.js';
import type { RangeSelector } from './requests.js';
import { type KeyValue, keyValueFromWire, toBytes } from './values.js';

export interface WatchOptions {
  /**
   * The first revision to tell changes of; default: the next revision of the member first
   * reached. Any revision the key history still holds (at or above its compacted revision),
   * after member restarts too.
   */
  startRevision?: number;
  /** Every event carries the key as it was before the change (`prevKv`). */
  prevKv?: boolean;
  /**
   * Silence (no change, no progress response) for longer than this is taken as a dead link and the
   * watch moves to another member. Keep it above the nodes' --watch-progress-ms (5 s). Default 15 s.
   */
  idleTimeoutMs?: number;
  /** Ends the watch like close(), except that the iteration then throws AbortedError. */
  signal?: AbortSignal;
  /**
   * Called each time a stream is open and listening (first, and after each move to another
   * member): every change from `nextRevision` on will be told.
   */
  onListening?: (listening: { memberAddress: string | undefined; nextRevision: number }) => void;
}

export interface WatchEvent {
  readonly type: 'put' | 'delete';
  /** The key after the change; for a delete: the key, an empty value, modRevision = the delete's revision. */
  readonly kv: KeyValue;
  /** With WatchOptions.prevKv: the key before the change (absent when it did not exist, or that version is compacted). */
  readonly prevKv?: KeyValue;
}

/** The changes of one or more revisions, up to and including `revision`. */
export interface WatchBatch {
  readonly revision: number;
  readonly events: readonly WatchEvent[];
}

/** What a watch needs from the client: open a stream somewhere, move away from a failed member, back off. */
export interface WatchTransport {
  open(
    request: WatchRequest,
    signal: AbortSignal,
    /** Told the member's address before the call, so a refusal can be charged to it. */
    dialing: (address: string) => void,
  ): Promise<{ first: WatchResponse__Output; rest: AsyncIterable<WatchResponse__Output> }>;
  moveAway(address: string): void;
  /**
   * The token the next stream opens with: the held one or a login's (nothing without user and
   * password credentials). `afterRefusal`: the last stream was refused as unauthenticated (its
   * token expired, or it was opened while auth was off), so a new login is needed unless another
   * caller already got a newer token. Throws the login's error (a refused login: wrong password,
   * permission denied, too many logins; or a timeout, after which the login goes on).
   */
  authenticate(afterRefusal: boolean): Promise<void>;
  /** Whether the client holds credentials a new login can use (user and password). */
  canLogIn(): boolean;
  /**
   * The error to end the watch with when no member could be connected to at `unreachable` (every
   * endpoint, and the client does not wait for members); undefined: keep trying.
   */
  endIfUnreachable(unreachable: ReadonlySet<string>, last: HoldfastError): HoldfastError | undefined;
  /** Members the client knows of: a watch every one of them refused as compacted ends. */
  memberCount(): number;
  backoffMs(failures: number): number;
  isClosed(): boolean;
}

const DEFAULT_IDLE_TIMEOUT_MS = 15_000;
/**
 * Streams refused as unauthenticated in a row, each after a new login, before the watch ends
 * with the refusal: a login whose token the members keep refusing (clocks far apart, a user
 * deleted) must not loop. A stream that delivers a response starts the count again.
 */
export const WATCH_RELOGINS_MAX = 3;

export class Watch implements AsyncIterable<WatchBatch> {
  private next: number;
  private closed = false;
  private iterating = false;
  private current: AbortController | undefined;
  private listeningTo: string | undefined;
  private readonly request: Omit<WatchRequest, 'startRevision'>;
  private readonly idleTimeoutMs: number;
  private readonly signal: AbortSignal | undefined;
  private readonly onListening: WatchOptions['onListening'];
  private readonly closeOnAbort = (): void => this.close();

  constructor(
    selector: RangeSelector,
    options: WatchOptions,
    private readonly transport: WatchTransport,
  ) {
    const keys = 'prefix' in selector ? { prefix: toBytes(selector.prefix) } : { start: toBytes(selector.start), ...(selector.end === undefined ? {} : { end: toBytes(selector.end) }) };
    this.request = { ...keys, prevKv: options.prevKv === true };
    const start = options.startRevision ?? 0;
    if (!Number.isSafeInteger(start) || start < 0) {
      throw new HoldfastErrorClass(`startRevision must be a non-negative integer, got ${start}`, { code: 'invalid-argument' });
    }
    this.next = start;
    this.signal = options.signal;
    this.onListening = options.onListening;
    this.signal?.addEventListener('abort', this.closeOnAbort, { once: true });
    this.idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    if (!Number.isFinite(this.idleTimeoutMs) || this.idleTimeoutMs <= 0) {
      throw new HoldfastErrorClass(`idleTimeoutMs must be positive, got ${this.idleTimeoutMs}`, { code: 'invalid-argument' });
    }
  }

  /** The first revision whose changes have not been told yet: where the watch resumes (0 before it started). */
  get nextRevision(): number {
    return this.next;
  }

  /** The client address of the member the watch listens to now (undefined between streams). */
  get memberAddress(): string | undefined {
    return this.listeningTo;
  }

  /** Stops the watch: the iteration ends (without an error) and the stream is cancelled. */
  close(): void {
    this.closed = true;
    this.signal?.removeEventListener('abort', this.closeOnAbort);
    this.current?.abort();
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchBatch> {
    if (this.iterating) throw new Error('a watch is iterated once');
    this.iterating = true;
    return this.batchesUntilAborted();
  }

  private async *batchesUntilAborted(): AsyncGenerator<WatchBatch> {
    yield* this.batches();
    if (this.signal?.aborted === true) throw new AbortedError('watch aborted', { mayHaveBeenApplied: false });
  }

  private async *batches(): AsyncGenerator<WatchBatch> {
    let failures = 0;
    // Refusals that concern one member only: each keeps its own history (a restart or a snapshot
    // restore starts it afresh), and during a rolling upgrade a member of an older release may
    // not serve watches at all. The watch ends only once every member refused in a row.
    let refusals = 0;
    // Members no connection could be made to since the last stream opened.
    const unreachable = new Set<string>();
    // Streams refused as unauthenticated since one last delivered a response (WATCH_RELOGINS_MAX).
    let relogins = 0;
    // The last stream was refused as unauthenticated and no login followed yet.
    let refused = false;
    try {
      while (!this.closed) {
        if (this.transport.isClosed()) throw new ClientClosedError('client closed', { code: 'closed' });
        const controller = new AbortController();
        this.current = controller;
        let idle = false;
        let timer: NodeJS.Timeout | undefined;
        const rearm = (): void => {
          clearTimeout(timer);
          timer = setTimeout(() => {
            idle = true;
            controller.abort();
          }, this.idleTimeoutMs);
        };
        let address: string | undefined;
        let loggingIn = true;
        try {
          await this.transport.authenticate(refused);
          refused = false;
          loggingIn = false;
          const opened = await this.transport.open({ ...this.request, startRevision: this.next }, controller.signal, (at) => {
            address = at;
          });
          this.listeningTo = address;
          rearm();
          refusals = 0;
          unreachable.clear();
          this.advance(opened.first);
          this.onListening?.({ memberAddress: address, nextRevision: this.next });
          for await (const response of opened.rest) {
            rearm();
            failures = 0;
            relogins = 0;
            const batch = this.accept(response);
            if (batch !== undefined) yield batch;
            if (this.closed) return;
          }
          // The member ended the stream without a status: resume elsewhere.
          throw new UnavailableError('the watch stream ended', { code: 'unavailable' });
        } catch (thrown) {
          if (this.closed) return;
          const error = idle
            ? new UnavailableError(`no watch response for ${this.idleTimeoutMs} ms`, { code: 'unavailable' })
            : toHoldfastError(thrown);
          // A login the cluster refused (wrong password, permission denied) ends the watch at once.
          if (loggingIn && !resumable(error)) throw error;
          if (!loggingIn && error.code === 'unauthenticated' && this.transport.canLogIn()) {
            relogins += 1;
            refused = true;
            if (relogins > WATCH_RELOGINS_MAX) {
              throw new UnauthenticatedError(
                `watch refused as unauthenticated ${relogins} times in a row, each time after a new login: ${error.message}`,
                { code: 'unauthenticated', cause: error },
              );
            }
            // Log in again and resume from this.next: nothing told twice or skipped. The first
            // time at once (a token that expired, auth just turned on), then after a backoff.
            if (relogins > 1) await sleep(this.transport.backoffMs(relogins - 1));
            continue;
          }
          if (address !== undefined && wasNeverSent(error)) {
            unreachable.add(address);
            const end = this.transport.endIfUnreachable(unreachable, error);
            if (end !== undefined) throw end;
          }
          if (error instanceof CompactedError || error.grpcCode === GrpcStatus.UNIMPLEMENTED) {
            refusals += 1;
            if (refusals >= this.transport.memberCount()) {
              throw error instanceof CompactedError ? new WatchCompactedError(error.message, { code: 'compacted', cause: error }) : error;
            }
          } else if (!resumable(error)) {
            throw error;
          }
          if (address !== undefined) this.transport.moveAway(address);
          failures += 1;
          await sleep(this.transport.backoffMs(failures));
        } finally {
          clearTimeout(timer);
          controller.abort();
          this.listeningTo = undefined;
        }
      }
    } finally {
      this.closed = true;
      this.signal?.removeEventListener('abort', this.closeOnAbort);
    }
  }

  /** A response's header revision: every matching change up to it was sent. */
  private advance(response: WatchResponse__Output): void {
    const revision = response.header?.revision ?? 0;
    if (revision + 1 > this.next) this.next = revision + 1;
  }

  private accept(response: WatchResponse__Output): WatchBatch | undefined {
    const from = this.next;
    const events: WatchEvent[] = [];
    for (const event of response.events) {
      const kv = keyValueFromWire(event.kv);
      // Never twice: a change below the resume point was told before.
      if (kv === undefined || kv.modRevision < from) continue;
      const prevKv = keyValueFromWire(event.prevKv);
      events.push({ type: event.type === 'DELETE' ? 'delete' : 'put', kv, ...(prevKv === undefined ? {} : { prevKv }) });
    }
    this.advance(response);
    return events.length === 0 ? undefined : { revision: this.next - 1, events };
  }
}

/** Failures after which the same watch may go on elsewhere. */
function resumable(error: HoldfastError): boolean {
  switch (error.code) {
    case 'unavailable':
    case 'no-leader':
    case 'not-leader':
    case 'stopping':
    case 'timeout':
    case 'overloaded':
    case 'cancelled':
      return true;
    default:
      return false;
  }
}
