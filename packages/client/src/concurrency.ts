/**
 * Locks, elections and fenced writes, built on leases and Txn the way etcd's `concurrency`
 * package builds its Mutex and Election: each contender creates the key `<name>/<lease id>`
 * attached to its lease (only if absent, in one txn) and waits until every key of the name with a
 * lower create revision is gone, watching the one just below its own. The holder is the key with
 * the lowest create revision; a holder that dies stops its keepalives, its lease expires and the
 * key is deleted by the cluster, which wakes the next contender.
 *
 * A lock alone cannot stop a holder that paused past its TTL from writing after the next holder
 * took over (Jepsen's etcd 3.4.3 analysis). The holder's `token` (its key's create revision: it
 * grows with every new holder) is the fence: a resource that refuses a write whose token is below
 * the highest it has seen (`put(..., { ifFenceAtLeast: token })`, or `fence.compare` in a txn)
 * never takes a stale holder's write.
 */
import { CompareFailedError, type HoldfastError, InvalidArgumentError, LeaseLostError, StaleFenceError } from './errors.js';
import type { KeepAliveOptions, LeaseGrantResult, LeaseKeepAlive, LeaseRevokeResult } from './leases.js';
import type { PutRequest, PutResponse__Output } from '@holdfast/protocol';
import { type PutOptions, type PutResult, putRequest, putResultFromWire, type RangeOptions, type RangeResult, type RangeSelector } from './requests.js';
import { type Compare, compare, op, type TxnOp, type TxnRequest, type TxnResult } from './txn.js';
import { type Bytes, type KeyValue, toBytes } from './values.js';
import type { Watch, WatchOptions } from './watch.js';

/** A call's deadline and abort signal (the client's CallOptions). */
interface CallOptions {
  deadlineMs?: number;
  signal?: AbortSignal;
}

/** What locks and elections need of the client. */
export interface ConcurrencyClient {
  txn(request: TxnRequest, options?: CallOptions): Promise<TxnResult>;
  range(selector: RangeSelector, options?: RangeOptions & CallOptions): Promise<RangeResult>;
  rangeAll(selector: RangeSelector, options?: RangeOptions & CallOptions): AsyncGenerator<KeyValue>;
  delete(key: Bytes, options?: CallOptions): Promise<unknown>;
  watch(selector: RangeSelector, options?: WatchOptions): Watch;
  readonly lease: {
    grant(ttlMs: number, options?: CallOptions): Promise<LeaseGrantResult>;
    revoke(id: number, options?: CallOptions): Promise<LeaseRevokeResult>;
    keepAlive(id: number, options?: KeepAliveOptions & { ttlMs?: number }): Promise<LeaseKeepAlive>;
  };
}

export interface LockOptions {
  /** TTL of the lease the lock makes for itself (default 10 s). Ignored with `lease`. */
  ttlMs?: number;
  /** Hold the lock on this lease (the caller keeps it alive); default: a lease of the lock's own. */
  lease?: number;
  /** Gives up waiting (the call rejects with AbortedError; nothing is left behind). */
  signal?: AbortSignal;
}

export interface LockHolder {
  readonly name: Uint8Array;
  /** The holder's key: `<name>/<lease id in hex>`. */
  readonly key: Uint8Array;
  /** The fencing token: the key's create revision, larger for every later holder. */
  readonly token: number;
  readonly lease: number;
  /** Resolves when the lock's own lease was lost (expired, revoked, or no keepalive answered in time). */
  readonly lost: Promise<HoldfastError>;
  /** Gives the lock up: deletes the key (and revokes the lock's own lease). */
  release(): Promise<void>;
}

export type ElectionOptions = Omit<LockOptions, 'signal'>;

export interface ElectionLeader {
  readonly key: Uint8Array;
  readonly value: Uint8Array;
  /** The leader's create revision: also a fencing token. */
  readonly createRevision: number;
}

const defaultTtlMs = 10_000;

/** Takes the lock on `name`, waiting behind every contender that came before. */
export async function acquireLock(client: ConcurrencyClient, name: Bytes, options: LockOptions = {}): Promise<LockHolder> {
  const contender = await Contender.enter(client, toBytes(name), new Uint8Array(0), options);
  try {
    await contender.waitForTurn(options.signal);
  } catch (error) {
    await contender.leave().catch(() => undefined);
    throw error;
  }
  return {
    name: contender.name,
    key: contender.key,
    token: contender.createRevision,
    lease: contender.lease,
    lost: contender.lost,
    release: () => contender.leave(),
  };
}

/** A leader election on `name`: campaign to lead, proclaim a new value, resign, and watch who leads. */
export class Election {
  readonly name: Uint8Array;
  private contender: Contender | undefined;

  constructor(
    private readonly client: ConcurrencyClient,
    name: Bytes,
    private readonly options: ElectionOptions = {},
  ) {
    this.name = toBytes(name);
  }

  /** Becomes the leader with `value` (waits behind the leader and every earlier candidate). */
  async campaign(value: Bytes, options: { signal?: AbortSignal } = {}): Promise<ElectionLeader> {
    if (this.contender !== undefined) throw new InvalidArgumentError('campaign while already campaigning or leading: resign first', { code: 'invalid-argument' });
    const contender = await Contender.enter(this.client, this.name, toBytes(value), this.options);
    this.contender = contender;
    try {
      await contender.waitForTurn(options.signal);
    } catch (error) {
      this.contender = undefined;
      await contender.leave().catch(() => undefined);
      throw error;
    }
    // A candidate that entered before on the same lease kept its old value: publish the new one.
    if (Buffer.compare(contender.value, toBytes(value)) !== 0) await contender.replaceValue(toBytes(value));
    return contender.asLeader();
  }

  /** The leader's fencing token while leading, else undefined. */
  get token(): number | undefined {
    return this.contender?.createRevision;
  }

  /** Resolves when the leader's lease was lost while leading. */
  get lost(): Promise<HoldfastError> | undefined {
    return this.contender?.lost;
  }

  /** Publishes a new value as the leader; throws LeaseLostError when no longer leading. */
  async proclaim(value: Bytes): Promise<void> {
    const contender = this.contender;
    if (contender === undefined) throw new LeaseLostError('proclaim without leading: campaign first', { code: 'invalid-argument' });
    await contender.replaceValue(toBytes(value));
  }

  /** Steps down (deletes the leader key; the next candidate leads). */
  async resign(): Promise<void> {
    const contender = this.contender;
    this.contender = undefined;
    await contender?.leave();
  }

  /** The current leader, or undefined when nobody leads. */
  async leader(): Promise<ElectionLeader | undefined> {
    return (await readContenders(this.client, this.name)).leader;
  }

  /**
   * The leader as it changes: the current one first (undefined when nobody leads), then each
   * change of leader or of its value, until the signal aborts.
   */
  async *observe(options: { signal?: AbortSignal } = {}): AsyncGenerator<ElectionLeader | undefined> {
    let last: ElectionLeader | undefined;
    let first = true;
    while (options.signal?.aborted !== true) {
      const { leader, revision } = await readContenders(this.client, this.name);
      if (first || !sameLeader(last, leader)) yield leader;
      first = false;
      last = leader;
      await waitForChange(this.client, { prefix: prefixOf(this.name) }, { after: revision, ...(options.signal === undefined ? {} : { signal: options.signal }) });
    }
  }
}

/** One contender's key under a name, and the lease it lives on. */
class Contender {
  private constructor(
    private readonly client: ConcurrencyClient,
    readonly name: Uint8Array,
    readonly key: Uint8Array,
    readonly lease: number,
    readonly createRevision: number,
    public value: Uint8Array,
    private readonly keepAlive: LeaseKeepAlive | undefined,
  ) {}

  get lost(): Promise<HoldfastError> {
    return this.keepAlive?.lost ?? new Promise<HoldfastError>(() => {});
  }

  /** Creates the contender's key (or finds it, for a lease that entered before). */
  static async enter(client: ConcurrencyClient, name: Uint8Array, value: Uint8Array, options: LockOptions): Promise<Contender> {
    const ttlMs = options.ttlMs ?? defaultTtlMs;
    const grantSentAtMs = Date.now();
    const lease = options.lease ?? (await client.lease.grant(ttlMs)).id;
    const keepAlive = options.lease === undefined ? await client.lease.keepAlive(lease, { ttlMs, sentAtMs: grantSentAtMs }) : undefined;
    const key = Buffer.concat([prefixOf(name), Buffer.from(lease.toString(16).padStart(16, '0'))]);
    try {
      const result = await client.txn({
        compare: [compare.createRevision(key, '=', 0)],
        success: [op.put(key, value, { lease })],
        failure: [op.get(key)],
      });
      const found = result.results[0];
      const createRevision = result.succeeded ? result.revision : found?.type === 'get' ? (found.kv?.createRevision ?? 0) : 0;
      if (createRevision === 0) throw new LeaseLostError(`the key of lease ${lease} under ${Buffer.from(name).toString()} vanished as it was created`, { code: 'lease-not-found' });
      const held = !result.succeeded && found?.type === 'get' && found.kv !== undefined ? found.kv.value : value;
      return new Contender(client, name, key, lease, createRevision, held, keepAlive);
    } catch (error) {
      keepAlive?.close();
      if (options.lease === undefined) await client.lease.revoke(lease).catch(() => undefined);
      throw error;
    }
  }

  /** Waits until no key of the name has a lower create revision (this contender then holds it). */
  async waitForTurn(signal: AbortSignal | undefined): Promise<void> {
    for (;;) {
      if (signal?.aborted === true) throw new LeaseLostError('gave up waiting', { code: 'aborted' });
      const { contenders, revision } = await readContenders(this.client, this.name);
      if (!contenders.some((kv) => kv.createRevision === this.createRevision)) {
        throw new LeaseLostError(`lease ${this.lease} ended while waiting: the key is gone`, { code: 'lease-not-found' });
      }
      const ahead = contenders.filter((kv) => kv.createRevision < this.createRevision);
      if (ahead.length === 0) return;
      const next = ahead.reduce((a, b) => (a.createRevision > b.createRevision ? a : b));
      await waitForChange(this.client, { start: next.key }, { after: revision, deleteOnly: true, ...(signal === undefined ? {} : { signal }) });
    }
  }

  async replaceValue(value: Uint8Array): Promise<void> {
    const result = await this.client.txn({
      compare: [compare.createRevision(this.key, '=', this.createRevision)],
      success: [op.put(this.key, value, { lease: this.lease })],
      failure: [],
    });
    if (!result.succeeded) throw new LeaseLostError(`no longer leading: the key of lease ${this.lease} is gone`, { code: 'lease-not-found' });
    this.value = value;
  }

  asLeader(): ElectionLeader {
    return { key: this.key, value: this.value, createRevision: this.createRevision };
  }

  /** Deletes the key (only this contender's, by its create revision) and ends the lock's own lease. */
  async leave(): Promise<void> {
    this.keepAlive?.close();
    if (this.keepAlive !== undefined) {
      await this.client.lease.revoke(this.lease).catch((error: HoldfastError) => {
        if (error.code !== 'lease-not-found') throw error;
      });
      return;
    }
    await this.client.txn({ compare: [compare.createRevision(this.key, '=', this.createRevision)], success: [op.delete(this.key)], failure: [] });
  }
}

function prefixOf(name: Uint8Array): Uint8Array {
  return Buffer.concat([name, Buffer.from('/')]);
}

/** Every contender's key under the name (linearizable), the one that leads, and the read's revision. */
async function readContenders(client: ConcurrencyClient, name: Uint8Array): Promise<{ contenders: KeyValue[]; leader: ElectionLeader | undefined; revision: number }> {
  const contenders: KeyValue[] = [];
  let revision: number | undefined;
  let continuation: Uint8Array | undefined;
  for (;;) {
    const page = await client.range({ prefix: prefixOf(name) }, continuation === undefined ? {} : { continuation });
    revision ??= page.header.revision;
    contenders.push(...page.kvs);
    if (!page.more) break;
    continuation = page.continuation;
  }
  const first = contenders.reduce<KeyValue | undefined>((a, b) => (a === undefined || b.createRevision < a.createRevision ? b : a), undefined);
  const leader = first === undefined ? undefined : { key: first.key, value: first.value, createRevision: first.createRevision };
  return { contenders, leader, revision: revision ?? 0 };
}

/** Waits for the next change of the selector after revision `after` (a delete only, if asked). */
async function waitForChange(client: ConcurrencyClient, selector: RangeSelector, options: { after: number; deleteOnly?: boolean; signal?: AbortSignal }): Promise<void> {
  const watch = client.watch(selector, { startRevision: options.after + 1, ...(options.signal === undefined ? {} : { signal: options.signal }) });
  try {
    for await (const batch of watch) {
      if (batch.events.some((event) => options.deleteOnly !== true || event.type === 'delete')) return;
    }
  } finally {
    watch.close();
  }
}

function sameLeader(a: ElectionLeader | undefined, b: ElectionLeader | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.createRevision === b.createRevision && Buffer.compare(a.value, b.value) === 0;
}

// ---- fencing ----

/** Fencing tokens of a key are kept under this prefix, beside the key: `__fence/<key>`. */
export const FENCE_KEY_PREFIX = '__fence/';

/** Tokens are stored as 16 decimal digits, so that comparing values compares the numbers. */
function fenceValue(token: number): string {
  return String(token).padStart(16, '0');
}

function checkToken(token: number): number {
  if (!Number.isSafeInteger(token) || token < 1) throw new InvalidArgumentError(`fencing token must be a positive integer, got ${token}`, { code: 'invalid-argument' });
  return token;
}

/** Builders for fenced writes inside a txn of your own. */
export const fence = {
  /** The key holding the highest token a fenced write of `key` carried. */
  keyOf: (key: Bytes): Uint8Array => Buffer.concat([Buffer.from(FENCE_KEY_PREFIX), toBytes(key)]),
  /** Holds when `token` is at least the highest token recorded for `key`. */
  compare: (key: Bytes, token: number): Compare => compare.value(fence.keyOf(key), '<', fenceValue(checkToken(token) + 1)),
  /** Records `token` as the highest for `key` (put it in the branch the compare guards). */
  record: (key: Bytes, token: number): TxnOp => op.put(fence.keyOf(key), fenceValue(checkToken(token))),
};

/**
 * A fenced put the cluster checks itself (PutRequest.if_fence_at_least, every member at apply
 * version 7): it applies the same fence txn, so writes fenced either way see each other. A stale
 * token comes back as compare-failed naming the highest token: StaleFenceError.
 */
export async function fencedPutOnServer(
  key: Bytes,
  value: Bytes,
  token: number,
  options: PutOptions,
  write: (request: PutRequest) => Promise<PutResponse__Output>,
): Promise<PutResult> {
  const { ifAbsent, ifModRevision } = options;
  if (ifAbsent === true || (ifModRevision ?? 0) > 0) {
    throw new InvalidArgumentError('a fenced put takes no ifAbsent or ifModRevision guard (use a txn with fence.compare)', { code: 'invalid-argument' });
  }
  try {
    return putResultFromWire(await write({ ...putRequest(key, value, options), ifFenceAtLeast: checkToken(token) }));
  } catch (error) {
    const stale = error instanceof CompareFailedError ? /^fencing token \d+ is below (\d+)/.exec(error.message) : null;
    if (stale !== null) throw new StaleFenceError(token, Number(stale[1]));
    throw error;
  }
}

/** `put(key, value)` only if `token` is at least every token a fenced write of `key` carried (the fence txn). */
export async function fencedPut(
  client: Pick<ConcurrencyClient, 'txn'>,
  key: Bytes,
  value: Bytes,
  token: number,
  options: PutOptions & CallOptions,
): Promise<PutResult> {
  const { ifFenceAtLeast: _token, ifAbsent, ifModRevision, deadlineMs, signal, ...putOptions } = options;
  if (ifAbsent === true || (ifModRevision ?? 0) > 0) {
    throw new InvalidArgumentError('a fenced put takes no ifAbsent or ifModRevision guard (use a txn with fence.compare)', { code: 'invalid-argument' });
  }
  const result = await client.txn(
    { compare: [fence.compare(key, token)], success: [fence.record(key, token), op.put(key, value, putOptions)], failure: [op.get(fence.keyOf(key))] },
    { ...(deadlineMs === undefined ? {} : { deadlineMs }), ...(signal === undefined ? {} : { signal }) },
  );
  if (!result.succeeded) {
    const found = result.results[0];
    const highest = found?.type === 'get' && found.kv !== undefined ? Number(Buffer.from(found.kv.value).toString()) : 0;
    throw new StaleFenceError(token, highest);
  }
  const written = result.results[1];
  if (written?.type !== 'put') throw new InvalidArgumentError('a fenced put answered without its put', { code: 'internal' });
  return { header: written.header, revision: written.revision, prevKv: written.prevKv };
}
