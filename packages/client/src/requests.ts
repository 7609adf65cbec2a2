import { InvalidArgumentError } from './errors.js';
import {
  type Bytes,
  headerFromWire,
  type KeyValue,
  keyValueFromWire,
  type ResponseHeader,
  toBytes,
} from './values.js';
import type { Consistency as WireConsistency, DeleteRequest, DeleteResponse__Output, GetRequest, PutRequest, PutResponse__Output, RangeRequest, RangeResponse__Output } from '@holdfast/protocol';

/** 'linearizable' (default): through the leader, never stale. 'serializable': the answering replica, may be stale. */
export type Consistency = 'linearizable' | 'serializable';

export interface PutOptions {
  /** Write only if the key does not exist; otherwise CompareFailedError. */
  ifAbsent?: boolean;
  /** Write only if the key's modRevision equals this; otherwise CompareFailedError. */
  ifModRevision?: number;
  /** Return the key's previous value. */
  prevKv?: boolean;
  /** Attach the key to this lease (deleted when it ends); absent: no lease. */
  lease?: number;
  /**
   * A fenced write (see `fence` in concurrency.ts): applied only if this token is at least the
   * highest any fenced write of this key carried; otherwise StaleFenceError. Not inside a txn.
   */
  ifFenceAtLeast?: number;
}

export interface GetOptions {
  consistency?: Consistency;
  /**
   * Bounded staleness (linearizable reads only): the answer holds every write acknowledged at
   * least this many ms before the node took the read. Any node may answer from its own state
   * while it confirmed that state with the leader within the bound, so reads go to the client's
   * `region` like serializable ones, and most cost no round trip to the leader. 0 or absent:
   * linearizable.
   */
  maxStalenessMs?: number;
  /**
   * Read the key as it was at this revision (the key history); 0 or absent: now. Below the
   * compacted revision: CompactedError; past the store's revision: InvalidArgumentError.
   */
  revision?: number;
}

export interface DeleteOptions {
  /** Delete only if the key's modRevision equals this; otherwise CompareFailedError. */
  ifModRevision?: number;
  prevKv?: boolean;
}

/** Every key starting with prefix, or keys in [start, end); without end, only the key start. */
export type RangeSelector = { prefix: Bytes } | { start: Bytes; end?: Bytes };

export interface RangeOptions {
  /** Keys per answer; 0 or absent = the server's range limit (which also caps larger values). */
  limit?: number;
  keysOnly?: boolean;
  consistency?: Consistency;
  /** As in GetOptions. */
  maxStalenessMs?: number;
  /** Resume after the key a previous page's `continuation` names. */
  continuation?: Uint8Array;
  /** As in GetOptions: the keys as they were at this revision. */
  revision?: number;
}

/** A range delete: every key with `prefix`, or in [start, end) (`end` "\0": every key from start). */
export type DeleteRangeSelector = { prefix: Bytes } | { start: Bytes; end: Bytes };

export interface DeleteRangeOptions {
  /** Return the deleted keys as they were. */
  prevKv?: boolean;
}

export interface DeleteRangeResult {
  header: ResponseHeader;
  /** Keys deleted (all at `revision`); 0: none was in range and the revision did not move. */
  deleted: number;
  revision: number;
  /** With prevKv: the deleted keys as they were, in key order. */
  prevKvs: KeyValue[];
}

export interface CompactResult {
  header: ResponseHeader;
  /** Reads and watches below it are refused from now on. */
  compactRevision: number;
}

export interface PutResult {
  header: ResponseHeader;
  /** Revision of this write. */
  revision: number;
  prevKv: KeyValue | undefined;
}

export interface DeleteResult {
  header: ResponseHeader;
  deleted: boolean;
  revision: number;
  prevKv: KeyValue | undefined;
}

export interface RangeResult {
  header: ResponseHeader;
  kvs: KeyValue[];
  /** More keys are in range; pass `continuation` to get them. */
  more: boolean;
  continuation: Uint8Array;
}

export function wireConsistency(consistency: Consistency): WireConsistency {
  return consistency === 'serializable' ? 'SERIALIZABLE' : 'LINEARIZABLE';
}

function checkRevision(name: string, revision: number | undefined): number {
  if (revision === undefined) return 0;
  if (!Number.isSafeInteger(revision) || revision < 0) {
    throw new InvalidArgumentError(`${name} must be a non-negative integer, got ${revision}`, {
      code: 'invalid-argument',
    });
  }
  return revision;
}

export function putRequest(key: Bytes, value: Bytes, options: PutOptions = {}): PutRequest {
  return {
    key: toBytes(key),
    value: toBytes(value),
    ifAbsent: options.ifAbsent === true,
    ifModRevision: checkRevision('ifModRevision', options.ifModRevision),
    prevKv: options.prevKv === true,
    lease: checkRevision('lease', options.lease),
  };
}

export function getRequest(key: Bytes, consistency: Consistency, maxStalenessMs?: number, revision?: number): GetRequest {
  return { key: toBytes(key), consistency: wireConsistency(consistency), maxStalenessMs: checkStaleness(maxStalenessMs), revision: checkRevision('revision', revision) };
}

export function deleteRangeRequest(selector: DeleteRangeSelector, options: DeleteRangeOptions = {}): DeleteRequest {
  const prevKv = options.prevKv === true;
  if ('prefix' in selector) return { prefix: toBytes(selector.prefix), prevKv };
  const end = toBytes(selector.end);
  if (end.byteLength === 0) throw new InvalidArgumentError('a range delete needs an end (or a prefix): use delete() for one key', { code: 'invalid-argument' });
  return { key: toBytes(selector.start), end, prevKv };
}

export function deleteRangeResultFromWire(wire: DeleteResponse__Output): DeleteRangeResult {
  return {
    header: headerFromWire(wire.header),
    deleted: wire.deletedCount,
    revision: wire.revision,
    prevKvs: wire.prevKvs.map((kv) => keyValueFromWire(kv) as KeyValue),
  };
}

function checkStaleness(maxStalenessMs: number | undefined): number {
  const value = maxStalenessMs ?? 0;
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new InvalidArgumentError(`maxStalenessMs must be an integer in [0, 2^32), got ${value}`, { code: 'invalid-argument' });
  }
  return value;
}

export function deleteRequest(key: Bytes, options: DeleteOptions = {}): DeleteRequest {
  return {
    key: toBytes(key),
    ifModRevision: checkRevision('ifModRevision', options.ifModRevision),
    prevKv: options.prevKv === true,
  };
}

export function rangeRequest(selector: RangeSelector, options: RangeOptions, consistency: Consistency): RangeRequest {
  const limit = options.limit ?? 0;
  if (!Number.isInteger(limit) || limit < 0 || limit > 0xffffffff) {
    throw new InvalidArgumentError(`limit must be an integer in [0, 2^32), got ${limit}`, { code: 'invalid-argument' });
  }
  const request: RangeRequest = {
    limit,
    keysOnly: options.keysOnly === true,
    consistency: wireConsistency(consistency),
    maxStalenessMs: checkStaleness(options.maxStalenessMs),
    revision: checkRevision('revision', options.revision),
  };
  if ('prefix' in selector) {
    request.prefix = toBytes(selector.prefix);
  } else {
    request.start = toBytes(selector.start);
    if (selector.end !== undefined) request.end = toBytes(selector.end);
  }
  if (options.continuation !== undefined) request.continuation = toBytes(options.continuation);
  return request;
}

export function putResultFromWire(wire: PutResponse__Output): PutResult {
  return { header: headerFromWire(wire.header), revision: wire.revision, prevKv: keyValueFromWire(wire.prevKv) };
}

export function deleteResultFromWire(wire: DeleteResponse__Output): DeleteResult {
  return {
    header: headerFromWire(wire.header),
    deleted: wire.deleted,
    revision: wire.revision,
    prevKv: keyValueFromWire(wire.prevKv),
  };
}

export function rangeResultFromWire(wire: RangeResponse__Output): RangeResult {
  return {
    header: headerFromWire(wire.header),
    kvs: wire.kvs.map((kv) => keyValueFromWire(kv) as KeyValue),
    more: wire.more,
    continuation: wire.continuation,
  };
}
