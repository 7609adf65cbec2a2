/**
 * How the Batch stream is framed, on both ends: its messages carry many requests (SDK, and a
 * follower forwarding to its leader) or answers (node) each. HTTP/2 and gRPC cost about the same
 * per message whatever it holds, so writing one message per turn of the event loop instead of
 * one per operation is most of what pipelining buys.
 */
import type { BatchRequest, BatchResponse, KeyValue } from './generated/index.js';

/**
 * Bytes in one Batch stream message at most, well inside a node's receive limit (16 MiB or
 * more); an item bigger than this travels alone.
 */
export const FRAME_BYTES_MAX = 4 * 1024 * 1024;

export interface FrameOutboxOptions<T> {
  /** Items in one frame at most. */
  readonly itemsMax: number;
  /** Estimated bytes in one frame at most (an item bigger than this travels alone). */
  readonly bytesMax: number;
  readonly write: (items: T[]) => void;
}

/**
 * Collects the items pushed during one turn of the event loop and writes them as one frame once
 * the turn is over (or sooner, when the frame is full). Invariant: every pushed item is written
 * exactly once, in push order, unless `discard` drops it.
 */
export class FrameOutbox<T> {
  private items: T[] = [];
  private bytes = 0;
  private flushScheduled = false;

  constructor(private readonly options: FrameOutboxOptions<T>) {}

  push(item: T, bytes: number): void {
    if (this.items.length > 0 && (this.items.length >= this.options.itemsMax || this.bytes + bytes > this.options.bytesMax)) this.flush();
    this.items.push(item);
    this.bytes += bytes;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => {
        this.flushScheduled = false;
        this.flush();
      });
    }
  }

  flush(): void {
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.bytes = 0;
    this.options.write(items);
  }

  discard(): void {
    this.items = [];
    this.bytes = 0;
  }
}

/** Fixed per-item allowance for ids, headers and field tags. */
const ITEM_OVERHEAD_BYTES = 64;

/** Bytes of a bytes field as written (a string is counted by its UTF-16 length: an estimate). */
function lengthOf(field: Uint8Array | string | null | undefined): number {
  return field?.length ?? 0;
}

function keyValueBytes(kv: KeyValue | null | undefined): number {
  return kv ? lengthOf(kv.key) + lengthOf(kv.value) + 24 : 0;
}

/** About how many bytes a request takes on the wire (keys and values dominate). */
export function requestBytes(request: BatchRequest): number {
  let bytes = ITEM_OVERHEAD_BYTES;
  if (request.put) bytes += lengthOf(request.put.key) + lengthOf(request.put.value);
  else if (request.get) bytes += lengthOf(request.get.key);
  else if (request.delete) bytes += lengthOf(request.delete.key);
  else if (request.range) bytes += lengthOf(request.range.start) + lengthOf(request.range.end) + lengthOf(request.range.prefix);
  else if (request.txn) {
    for (const c of request.txn.compare ?? []) bytes += lengthOf(c.key) + lengthOf(c.value) + 16;
    for (const op of [...(request.txn.success ?? []), ...(request.txn.failure ?? [])]) {
      bytes += lengthOf(op.put?.key) + lengthOf(op.put?.value) + lengthOf(op.get?.key) + lengthOf(op.delete?.key) + 8;
    }
  }
  return bytes;
}

/** About how many bytes an answer takes on the wire (a range page can be megabytes). */
export function responseBytes(response: BatchResponse): number {
  let bytes = ITEM_OVERHEAD_BYTES;
  if (response.get) bytes += keyValueBytes(response.get.kv);
  else if (response.range) for (const kv of response.range.kvs ?? []) bytes += keyValueBytes(kv);
  else if (response.put) bytes += keyValueBytes(response.put.prevKv);
  else if (response.delete) bytes += keyValueBytes(response.delete.prevKv);
  else if (response.txn) {
    for (const result of response.txn.results ?? []) {
      bytes += 16 + keyValueBytes(result.get?.kv) + keyValueBytes(result.put?.prevKv) + keyValueBytes(result.delete?.prevKv);
    }
  } else if (response.leaseTimeToLive) {
    for (const key of response.leaseTimeToLive.keys ?? []) bytes += 8 + lengthOf(key);
  } else if (response.leaseList) {
    bytes += 24 * (response.leaseList.leases ?? []).length;
  }
  return bytes;
}
