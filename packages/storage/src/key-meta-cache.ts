import { assert } from './errors.js';
import type { RecordSeal } from './state-record.js';

/**
 * A key's MVCC fields and the length of its value, without the value: all a put or delete
 * without prevKv needs to know (the length for the count of bytes held).
 */
export interface KeyMeta {
  readonly createRevision: number;
  readonly modRevision: number;
  readonly version: number;
  readonly valueBytes: number;
  /** The stored record's seal: what its hash is taken from when it is replaced (state-hash.ts). */
  readonly seal: RecordSeal;
}

/** The meta of a stored value, with the seal of its record. */
export function keyMetaOf(
  stored: { readonly createRevision: number; readonly modRevision: number; readonly version: number; readonly value: Uint8Array },
  seal: RecordSeal,
): KeyMeta {
  return { createRevision: stored.createRevision, modRevision: stored.modRevision, version: stored.version, valueBytes: stored.value.byteLength, seal };
}

/** Bytes charged per cached key besides the key itself (map slot, string header, meta object, its seal). */
export const keyMetaCacheOverheadBytes = 128;

/**
 * What the state machine knows about stored keys without reading LevelDB: per key its MVCC
 * fields, or that it does not exist (`null`). Least recently used keys are dropped past
 * `bytesMax`; 0 disables the cache.
 *
 * Invariant (kept by KvStateMachine): every entry equals what LevelDB holds for the key as of
 * the last finished apply. Entries are only changed after a batch write succeeded, from that
 * batch's own reads and writes, and the cache is cleared when the state is replaced.
 */
export class KeyMetaCache {
  /** Iterates from least to most recently used. */
  private readonly entries = new Map<string, KeyMeta | null>();
  private bytes = 0;
  /** Where dropOldestWhileOver goes on from: every key it passed was dropped. */
  private oldestFirst: Iterator<string> | undefined;
  /**
   * True when every stored key is in `entries`, so a key not found is known absent. Set only
   * while LevelDB holds no key at all and nothing is cached; lost for good by the first key
   * that is dropped or not taken.
   */
  private complete = false;

  constructor(private readonly bytesMax: number) {
    assert(Number.isSafeInteger(bytesMax) && bytesMax >= 0, `key meta cache bytesMax ${bytesMax}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Bytes charged for the cached keys; never above bytesMax. */
  get bytesUsed(): number {
    return this.bytes;
  }

  /** True while a key missing from the cache is known not to be stored. */
  get isComplete(): boolean {
    return this.complete;
  }

  /** Declares the store empty of keys (checked by the caller): from now on a miss means absent. */
  markStoreEmpty(): void {
    assert(this.entries.size === 0, `markStoreEmpty with ${this.entries.size} cached keys`);
    this.complete = this.bytesMax > 0;
  }

  /** The key's meta, null if it is known not to exist, undefined if unknown. Marks it recently used. */
  lookup(id: string): KeyMeta | null | undefined {
    const meta = this.entries.get(id);
    if (meta === undefined) return this.complete ? null : undefined;
    this.entries.delete(id);
    this.entries.set(id, meta);
    return meta;
  }

  /** The key's meta like lookup, without marking it recently used. */
  peek(id: string): KeyMeta | null | undefined {
    const meta = this.entries.get(id);
    if (meta === undefined) return this.complete ? null : undefined;
    return meta;
  }

  /**
   * Records the key's state as stored now (null: absent), then drops the least recently used past
   * the bound. The cache keeps `meta` itself: pass an object nothing else changes (keyMetaOf).
   */
  remember(id: string, meta: KeyMeta | null): void {
    const charge = id.length + keyMetaCacheOverheadBytes;
    if (charge > this.bytesMax) {
      this.forget(id);
      return;
    }
    if (this.entries.delete(id)) this.bytes -= charge;
    this.entries.set(id, meta);
    this.bytes += charge;
    this.dropOldestWhileOver();
  }

  /**
   * Drops least recently used keys until the bound holds, through one iterator kept across calls.
   * A fresh iterator for each call would start at the front of V8's hash table, which keeps the
   * slots of deleted keys until it is rebuilt: with the cache full, every write walked past up to
   * a table's worth of them (measured: 0.3 us per remember before the cache filled, ~500 us after,
   * at 116k keys; the put rate fell with it). A Map iterator visits keys added after it was made
   * and skips deleted ones, so the key it yields next is always the least recently used: every key
   * before it was yielded and dropped, and a key used again moves to the end.
   */
  private dropOldestWhileOver(): void {
    while (this.bytes > this.bytesMax) {
      this.oldestFirst ??= this.entries.keys();
      const next = this.oldestFirst.next();
      if (next.done === true) {
        this.oldestFirst = undefined;
        assert(this.entries.size > 0, `key meta cache charges ${this.bytes} bytes for no key`);
        continue;
      }
      this.forget(next.value);
    }
  }

  /** Drops the key; the cache no longer knows every stored key. */
  forget(id: string): void {
    this.complete = false;
    if (this.entries.delete(id)) this.bytes -= id.length + keyMetaCacheOverheadBytes;
  }

  clear(): void {
    this.complete = false;
    this.oldestFirst = undefined;
    this.entries.clear();
    this.bytes = 0;
  }
}
