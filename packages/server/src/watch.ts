/**
 * Watches: the changes apply makes, told to clients over a server stream (KV.Watch).
 *
 * The hub listens to the state machine (KvStateMachine.watchChanges) and keeps the latest
 * changes in memory, bounded by count and bytes, so a watch can start at a past revision and a
 * broken one resume from where it stopped, on this member or any other (every member applies
 * the same changes at the same revisions). It keeps whole revisions only: when it drops old
 * changes it drops every change of their revision, so "every change from revision R on" is
 * either all there or read from the key history on disk (KvStateMachine.changesSince) when a watch
 * starts before them (after a restart, a restore, or past the memory's limits); below the
 * history's compacted revision it is refused as compacted.
 *
 * A response's header revision means: every matching change up to this revision has been sent.
 * The SDK resumes from it + 1.
 */
import type * as grpc from '@grpc/grpc-js';
import type {
  ResponseHeader,
  WatchEvent,
  WatchRequest__Output as WatchRequest,
  WatchResponse,
} from '@holdfast/protocol';
import { type ChangeListener, type HistoricChange, type KeyChange, RevisionCompactedError } from '@holdfast/storage';
import type { Logger } from 'pino';
import { HoldfastError, InvalidRequestError, OverloadedError, StoppingError, toServiceError } from './errors.js';

export interface WatchLimits {
  /** Watches open on this member at once. */
  readonly watchersMax: number;
  /** Changes kept for watches that start in the past or resume. */
  readonly watchHistoryEventsMax: number;
  /** Bytes of keys and values of the changes kept. */
  readonly watchHistoryBytesMax: number;
  /** Responses waiting to be sent to one slow watcher before it is cut off (it may resume). */
  readonly watchQueueMessagesMax: number;
  /** A watch with nothing to tell for this long gets a progress response (no events). */
  readonly watchProgressMs: number;
  readonly keyBytesMax: number;
}

/** A watch asked for changes older than this member keeps. */
export class CompactedError extends HoldfastError {
  override readonly name = 'CompactedError';
  constructor(message: string) {
    super('compacted', message);
  }
}

type WatchCall = grpc.ServerWritableStream<WatchRequest, WatchResponse>;

/** Checks a watch's caller against the auth state as it is now: the refusal, or undefined while allowed. */
export type WatchAccess = () => HoldfastError | undefined;

/**
 * A response carries about this many changes and bytes of keys and values at most: it ends at
 * the first revision boundary past either, so it may exceed them by one revision (a txn, within
 * --request-bytes-max). With the default limits a response stays under 4 MiB, what a gRPC client
 * accepts unless told otherwise, and a large batch or replay reaches the watcher as a stream.
 */
const RESPONSE_EVENTS_TARGET = 1000;
const RESPONSE_BYTES_TARGET = 2 * 1024 * 1024;

/**
 * Gathers one watcher's events into responses that end at whole revisions: every response's
 * header revision can then say "every matching change up to here was sent".
 */
class ResponseChunker {
  private events: WatchEvent[] = [];
  private bytes = 0;

  constructor(
    private readonly send: (events: WatchEvent[], revision: number) => void,
    private readonly withPrevKv: boolean,
  ) {}

  /** Adds a change; `nextRevision` is the revision of the change after it in the source (undefined: none). */
  add(change: KeyChange, nextRevision: number | undefined): void {
    this.events.push(toWireEvent(change, this.withPrevKv));
    this.bytes += change.kv.key.byteLength + change.kv.value.byteLength;
    const full = this.events.length >= RESPONSE_EVENTS_TARGET || this.bytes >= RESPONSE_BYTES_TARGET;
    if (full && nextRevision !== change.kv.modRevision) this.flush(change.kv.modRevision);
  }

  /** Sends what is left, saying every matching change up to `revision` was sent. */
  finish(revision: number): void {
    if (this.events.length > 0) this.flush(revision);
  }

  private flush(revision: number): void {
    this.send(this.events, revision);
    this.events = [];
    this.bytes = 0;
  }
}

interface Kept {
  readonly change: KeyChange;
  readonly bytes: number;
}

/** Where a hub reads changes older than it keeps: the key history (KvStateMachine.changesSince). */
export interface ChangeHistory {
  changesSince(fromRevision: number, options: { changesMax: number; prevKv: boolean }): Promise<{ changes: HistoricChange[]; throughRevision: number }>;
  /** The lowest revision a watch may start at (undefined: no history kept). */
  watchFloor(): number | undefined;
}

/** Changes read from disk per step of a watch's catch-up (whole revisions: a step may read more). */
const CATCH_UP_CHANGES_MAX = 1000;

/**
 * Which keys a watch covers. One key and a prefix are looked up by the key's text in the hub's
 * index (a change costs a few map lookups, whatever the number of watches); only ranges are
 * tested one by one.
 */
type Selector =
  | { readonly kind: 'key'; readonly text: string; readonly matches: (key: Uint8Array) => boolean }
  | { readonly kind: 'prefix'; readonly text: string; readonly matches: (key: Uint8Array) => boolean }
  | { readonly kind: 'range'; readonly matches: (key: Uint8Array) => boolean };

class Watcher {
  /** The first revision whose changes this watcher has not been told of yet. */
  next: number;
  lastSentAtMs = Date.now();
  closed = false;
  /** Changes of the batch being told, gathered into responses. */
  pending: ResponseChunker | undefined;
  /** Reading changes from the key history on disk: live changes wait until it reaches memory. */
  catchingUp = false;

  constructor(
    readonly call: WatchCall,
    readonly selector: Selector,
    next: number,
    /** Every event carries the key before the change. */
    readonly prevKv: boolean,
    /** Whether the caller may still read what the watch covers (undefined: yes), asked when auth changes. */
    readonly access: WatchAccess | undefined,
  ) {
    this.next = next;
  }

  matches(key: Uint8Array): boolean {
    return this.selector.matches(key);
  }
}

function startsWith(key: Uint8Array, prefix: Uint8Array): boolean {
  if (key.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (key[i] !== prefix[i]) return false;
  return true;
}

/** A key's bytes as a string, one character per byte: the index's keys. */
const keyText = (key: Uint8Array): string => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');

/** The open watches by what they cover. */
class WatcherIndex {
  private readonly byKey = new Map<string, Set<Watcher>>();
  private readonly byPrefix = new Map<string, Set<Watcher>>();
  /** How many indexed prefixes have each length: a key is looked up at these lengths only. */
  private readonly prefixLengths = new Map<number, number>();
  private readonly ranges = new Set<Watcher>();

  add(watcher: Watcher): void {
    const { selector } = watcher;
    if (selector.kind === 'range') {
      this.ranges.add(watcher);
      return;
    }
    const map = selector.kind === 'key' ? this.byKey : this.byPrefix;
    let set = map.get(selector.text);
    if (set === undefined) {
      set = new Set();
      map.set(selector.text, set);
      if (selector.kind === 'prefix') this.prefixLengths.set(selector.text.length, (this.prefixLengths.get(selector.text.length) ?? 0) + 1);
    }
    set.add(watcher);
  }

  delete(watcher: Watcher): void {
    const { selector } = watcher;
    if (selector.kind === 'range') {
      this.ranges.delete(watcher);
      return;
    }
    const map = selector.kind === 'key' ? this.byKey : this.byPrefix;
    const set = map.get(selector.text);
    if (set === undefined || !set.delete(watcher) || set.size > 0) return;
    map.delete(selector.text);
    if (selector.kind === 'prefix') {
      const left = (this.prefixLengths.get(selector.text.length) ?? 1) - 1;
      if (left === 0) this.prefixLengths.delete(selector.text.length);
      else this.prefixLengths.set(selector.text.length, left);
    }
  }

  /** Calls `each` for every watcher whose selector covers `key`. */
  forEachCovering(key: Uint8Array, each: (watcher: Watcher) => void): void {
    if (this.byKey.size > 0 || this.byPrefix.size > 0) {
      const text = keyText(key);
      const exact = this.byKey.get(text);
      if (exact !== undefined) for (const watcher of exact) each(watcher);
      for (const length of this.prefixLengths.keys()) {
        if (length > text.length) continue;
        const prefixed = this.byPrefix.get(text.slice(0, length));
        if (prefixed !== undefined) for (const watcher of prefixed) each(watcher);
      }
    }
    for (const watcher of this.ranges) if (watcher.matches(key)) each(watcher);
  }
}

export class WatchHub implements ChangeListener {
  private readonly history: Kept[] = [];
  /** history[head] is the oldest kept change (dropping moves head; the array is compacted now and then). */
  private head = 0;
  private historyBytes = 0;
  /** Every change of every revision from here on is kept. */
  private firstRevision: number;
  /** The store's revision as of the last change told. */
  private revision: number;
  private readonly watchers = new Set<Watcher>();
  private readonly index = new WatcherIndex();
  private readonly progressTimer: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly options: {
      readonly limits: WatchLimits;
      /** The store's revision when the hub starts listening: the history starts after it. */
      readonly revision: number;
      /** The header of an answer right now (cluster, member, term, store revision). */
      readonly header: () => ResponseHeader;
      readonly isStopping: () => boolean;
      readonly logger: Logger;
      /** The key history, for watches that start before the changes kept in memory. */
      readonly history?: ChangeHistory;
    },
  ) {
    this.revision = options.revision;
    this.firstRevision = options.revision + 1;
    const everyMs = Math.max(10, Math.floor(options.limits.watchProgressMs / 2));
    this.progressTimer = setInterval(() => this.sendProgress(), everyMs);
    this.progressTimer.unref();
  }

  /** For metrics: open watches, changes kept, and the oldest revision a watch may start at. */
  stats(): { watchers: number; historyChanges: number; historyFirstRevision: number } {
    return { watchers: this.watchers.size, historyChanges: this.history.length - this.head, historyFirstRevision: this.firstRevision };
  }

  // ---- ChangeListener ----

  wantsPrevKv(): boolean {
    return this.prevKvWatchers > 0;
  }

  changed(changes: readonly KeyChange[], revision: number): void {
    for (const change of changes) this.keep(change);
    this.revision = revision;
    this.dropOldRevisions();
    // Gather each covering watcher's events through the index into its responses.
    const told: Watcher[] = [];
    for (const [i, change] of changes.entries()) {
      const nextRevision = changes[i + 1]?.kv.modRevision;
      this.index.forEachCovering(change.kv.key, (watcher) => {
        if (change.kv.modRevision < watcher.next || watcher.catchingUp) return;
        if (watcher.prevKv && change.prevKvRead !== true) {
          // Computed before this watch asked for prevKv: the history on disk has it.
          watcher.pending = undefined;
          this.catchUp(watcher);
          return;
        }
        if (watcher.pending === undefined) {
          watcher.pending = this.chunkerFor(watcher);
          told.push(watcher);
        }
        watcher.pending.add(change, nextRevision);
      });
    }
    for (const watcher of told) {
      watcher.pending?.finish(revision);
      watcher.pending = undefined;
    }
    for (const watcher of this.watchers) if (watcher.next <= revision && !watcher.catchingUp) watcher.next = revision + 1;
  }

  /** Ends every watch whose caller may no longer read what it covers (a grant revoked, a user deleted, auth turned on). */
  authChanged(): void {
    for (const watcher of this.watchers) {
      const refusal = watcher.access?.();
      if (refusal === undefined) continue;
      this.options.logger.info({ peer: watcher.call.getPeer(), reason: refusal.message }, 'a watch was ended: its caller may no longer read what it covers');
      this.end(watcher, refusal);
    }
  }

  restored(revision: number): void {
    this.lastRevisionWithoutPrevKv = revision;
    this.history.length = 0;
    this.head = 0;
    this.historyBytes = 0;
    this.firstRevision = revision + 1;
    this.revision = revision;
    // The snapshot carried the key history: a watch behind it reads the rest from there.
    for (const watcher of this.watchers) if (watcher.next <= revision) this.catchUp(watcher);
  }

  // ---- the Watch call ----

  /** `access`: asked again whenever auth changes (see authChanged). */
  open(call: WatchCall, access?: WatchAccess): void {
    try {
      if (this.closed || this.options.isStopping()) throw new StoppingError();
      if (this.watchers.size >= this.options.limits.watchersMax) {
        throw new OverloadedError(`${this.watchers.size} watches open on this member (--watchers-max)`);
      }
      const selector = this.selector(call.request);
      const start = call.request.startRevision;
      if (!Number.isSafeInteger(start) || start < 0) throw new InvalidRequestError('invalid-argument', `start revision must be a non-negative integer, got ${start}`);
      // Below the compacted revision a start is refused even while memory still holds it: every
      // member answers alike, whatever its memory holds.
      const floor = this.options.history?.watchFloor();
      if (start !== 0 && (floor === undefined ? start < this.firstRevision : start < floor)) {
        throw new CompactedError(
          `start revision ${start} is older than the changes this member keeps (from revision ${floor ?? this.firstRevision}): read the keys again and watch from the read's revision`,
        );
      }
      const watcher = new Watcher(call, selector, start === 0 ? this.revision + 1 : start, call.request.prevKv, access);
      this.watchers.add(watcher);
      this.index.add(watcher);
      if (watcher.prevKv) this.prevKvWatchers += 1;
      const forget = (): void => {
        if (this.watchers.delete(watcher) && watcher.prevKv) this.prevKvWatchers -= 1;
        watcher.closed = true;
        this.index.delete(watcher);
      };
      call.on('cancelled', forget);
      call.on('close', forget);
      call.on('error', forget);
      // "Every matching change up to here was sent": trivially true just before the start.
      this.write(watcher, { header: { ...this.options.header(), revision: watcher.next - 1 }, created: true, events: [] });
      if (watcher.next < this.memoryFloor(watcher)) this.catchUp(watcher);
      else this.replay(watcher);
    } catch (error) {
      call.emit('error', toServiceError(error));
    }
  }

  /** Ends every watch (the node stops): clients resume on another member. */
  close(): void {
    this.closed = true;
    clearInterval(this.progressTimer);
    for (const watcher of this.watchers) this.end(watcher, new StoppingError());
  }

  private selector(request: WatchRequest): Selector {
    const max = this.options.limits.keyBytesMax;
    for (const key of [request.start, request.end, request.prefix]) {
      if (key.length > max) throw new InvalidRequestError('key-too-large', `watch key is ${key.length} bytes; the limit is ${max}`);
    }
    const { start, end, prefix } = request;
    if (prefix.length > 0) {
      return {
        kind: 'prefix',
        text: keyText(prefix),
        matches: (key) => startsWith(key, prefix),
      };
    }
    if (start.length === 0) throw new InvalidRequestError('invalid-argument', 'watch needs a start key or a prefix');
    if (end.length === 0) return { kind: 'key', text: keyText(start), matches: (key) => Buffer.compare(key, start) === 0 };
    if (end.length === 1 && end[0] === 0) return { kind: 'range', matches: (key) => Buffer.compare(key, start) >= 0 };
    if (Buffer.compare(end, start) <= 0) throw new InvalidRequestError('invalid-argument', 'watch end must sort after its start');
    return { kind: 'range', matches: (key) => Buffer.compare(key, start) >= 0 && Buffer.compare(key, end) < 0 };
  }

  /** Open watches that want prevKv: while there are any, apply computes it for every change. */
  private prevKvWatchers = 0;
  /** The last revision of a kept change computed without prevKv (a prevKv watch replays it from disk). */
  private lastRevisionWithoutPrevKv = 0;

  /** The first revision from which memory can serve this watcher (older: the history on disk). */
  private memoryFloor(watcher: Watcher): number {
    return watcher.prevKv ? Math.max(this.firstRevision, this.lastRevisionWithoutPrevKv + 1) : this.firstRevision;
  }

  /**
   * Reads the watcher's changes from the key history on disk until memory holds the rest, then
   * replays memory (synchronously, so no live change slips between) and goes live. Live changes
   * pass it by meanwhile (`catchingUp`); they are on disk by the time it reads them.
   */
  private catchUp(watcher: Watcher): void {
    if (watcher.catchingUp) return;
    const history = this.options.history;
    if (history === undefined) {
      this.end(watcher, new CompactedError('this member keeps no key history: read the keys again and watch from the read\'s revision'));
      return;
    }
    watcher.catchingUp = true;
    void (async () => {
      try {
        while (!watcher.closed && watcher.next < this.memoryFloor(watcher)) {
          const { changes, throughRevision } = await history.changesSince(watcher.next, { changesMax: CATCH_UP_CHANGES_MAX, prevKv: watcher.prevKv });
          if (watcher.closed) return;
          const chunker = this.chunkerFor(watcher);
          for (const [i, change] of changes.entries()) {
            if (watcher.matches(change.kv.key)) chunker.add(change, changes[i + 1]?.kv.modRevision);
          }
          chunker.finish(throughRevision);
          watcher.next = throughRevision + 1;
        }
        watcher.catchingUp = false;
        if (!watcher.closed) this.replay(watcher);
      } catch (error) {
        watcher.catchingUp = false;
        const refusal =
          error instanceof RevisionCompactedError
            ? new CompactedError(`${error.message}: read the keys again and watch from the read's revision`)
            : error instanceof HoldfastError
              ? error
              : new CompactedError(`reading the key history failed (${(error as Error).message}): read the keys again and watch from the read's revision`);
        this.end(watcher, refusal);
      }
    })();
  }

  /** Sends the kept changes from the watcher's start on, in responses that end at whole revisions. */
  private replay(watcher: Watcher): void {
    const chunker = this.chunkerFor(watcher);
    for (let i = this.head; i < this.history.length; i++) {
      const { change } = this.history[i]!;
      if (change.kv.modRevision < watcher.next || !watcher.matches(change.kv.key)) continue;
      chunker.add(change, this.history[i + 1]?.change.kv.modRevision);
    }
    chunker.finish(this.revision);
    watcher.next = Math.max(watcher.next, this.revision + 1);
  }

  private chunkerFor(watcher: Watcher): ResponseChunker {
    return new ResponseChunker(
      (events, revision) => this.write(watcher, { header: { ...this.options.header(), revision }, created: false, events }),
      watcher.prevKv,
    );
  }

  private sendProgress(): void {
    const now = Date.now();
    for (const watcher of this.watchers) {
      if (now - watcher.lastSentAtMs < this.options.limits.watchProgressMs || watcher.catchingUp) continue;
      this.write(watcher, { header: { ...this.options.header(), revision: Math.max(watcher.next - 1, 0) }, created: false, events: [] });
    }
  }

  private write(watcher: Watcher, response: WatchResponse): void {
    if (watcher.closed) return;
    // A client that does not read must not make the member buffer without bound: cut it off; it
    // resumes from the last revision it got.
    if (watcher.call.writableLength >= this.options.limits.watchQueueMessagesMax) {
      this.options.logger.warn(
        { peer: watcher.call.getPeer(), behind: watcher.call.writableLength, next: watcher.next },
        'a watch that does not read its responses was cut off',
      );
      this.end(
        watcher,
        new OverloadedError(`the watch fell ${watcher.call.writableLength} responses behind (--watch-queue-messages-max); resume it from the last revision received + 1`),
      );
      return;
    }
    watcher.lastSentAtMs = Date.now();
    watcher.call.write(response);
  }

  private end(watcher: Watcher, error: HoldfastError): void {
    if (watcher.closed) return;
    watcher.closed = true;
    if (this.watchers.delete(watcher) && watcher.prevKv) this.prevKvWatchers -= 1;
    this.index.delete(watcher);
    watcher.call.emit('error', toServiceError(error));
  }

  private keep(change: KeyChange): void {
    // Copies: the decoded key and value are views into their whole log entry (many writes), which
    // one kept change would otherwise hold in memory long after the bytes counted here.
    const kv = { ...change.kv, key: Buffer.from(change.kv.key), value: Buffer.from(change.kv.value) };
    const prevKv = change.prevKv === undefined ? undefined : { ...change.prevKv, key: kv.key, value: Buffer.from(change.prevKv.value) };
    const bytes = kv.key.byteLength + kv.value.byteLength + (prevKv?.value.byteLength ?? 0) + 64;
    const kept: KeyChange = prevKv === undefined ? { type: change.type, kv, prevKvRead: change.prevKvRead === true } : { type: change.type, kv, prevKv, prevKvRead: true };
    if (change.prevKvRead !== true) this.lastRevisionWithoutPrevKv = kv.modRevision;
    this.history.push({ change: kept, bytes });
    this.historyBytes += bytes;
  }

  /** Drops the oldest revisions, whole, while over the limits. */
  private dropOldRevisions(): void {
    const { watchHistoryEventsMax, watchHistoryBytesMax } = this.options.limits;
    while (this.history.length - this.head > watchHistoryEventsMax || this.historyBytes > watchHistoryBytesMax) {
      const revision = this.history[this.head]!.change.kv.modRevision;
      while (this.head < this.history.length && this.history[this.head]!.change.kv.modRevision === revision) {
        this.historyBytes -= this.history[this.head]!.bytes;
        this.head += 1;
      }
      this.firstRevision = revision + 1;
    }
    if (this.head > 4096 && this.head * 2 > this.history.length) {
      this.history.splice(0, this.head);
      this.head = 0;
    }
  }
}

function toWireEvent(change: KeyChange | HistoricChange, withPrevKv: boolean): WatchEvent {
  const event: WatchEvent = { type: change.type === 'put' ? 'PUT' : 'DELETE', kv: change.kv };
  return withPrevKv && change.prevKv !== undefined ? { ...event, prevKv: change.prevKv } : event;
}
