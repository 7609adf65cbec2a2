import { assert } from './errors.js';
import { type Compare, type DeleteOp, type DeleteRangeOp, keyId, type KvOperation, type PutOp, type TxnOp, type TxnOperation } from './command.js';
import type { KeyMeta } from './key-meta-cache.js';
import type { StoredValue } from './kv-format.js';
import { prefixEnd, toKeyValue } from './kv-format.js';
import type {
  CommandOutcome,
  CompareFailedResult,
  DeleteRangeResult,
  DeleteResult,
  GetResult,
  KeyValue,
  PutResult,
  TxnOpResult,
} from './results.js';

/** Where a batch reads stored state: LevelDB and the key meta cache (both as of the last finished apply). */
export interface StoredReader {
  readStored(key: Uint8Array): Promise<StoredValue | undefined>;
  readStoredMany(keys: Uint8Array[]): Promise<(StoredValue | undefined)[]>;
  /** The cache's view of a key: its meta, null if known absent, undefined if unknown. */
  cachedMeta(id: string): KeyMeta | null | undefined;
  /** User keys held in the stored state (not the batch's writes) in `range`, in order, at most `limit`. */
  storedKeysIn(range: KeySpan, limit: number): Promise<Uint8Array[]>;
}

/** User keys in [start, end); `end` undefined: every key from `start`. */
export interface KeySpan {
  readonly start: Uint8Array;
  readonly end: Uint8Array | undefined;
}

/** A key's MVCC fields, as read from the stored state or from the batch's own pending write. */
export type MvccFields = Pick<KeyMeta, 'createRevision' | 'modRevision' | 'version'>;

type PendingWrite = {
  key: Uint8Array;
  stored: StoredValue | undefined;
  /** The revision of the version this write replaced; 0 when the key did not exist. */
  previousModRevision: number;
  /** That version, when the batch holds it; 'stored' when only LevelDB does (the batch saw its meta alone). */
  previous: StoredValue | undefined | 'stored';
};

/**
 * Pending writes of one apply batch over the stored state: reads see the batch's own writes
 * first. `undefined` in `writes` means deleted.
 *
 * Reads come in two kinds: read() gives the whole stored value, readMeta() only the MVCC fields,
 * which the key meta cache can answer without touching LevelDB. Both see the same state.
 *
 * It also counts how the writes change the bytes of keys and values held (`bytesDelta`), and
 * can take back the writes of one command (beginUndo / rollbackUndo), for a write the store
 * quota refuses after it ran.
 */
export class WriteSet {
  readonly writes = new Map<string, PendingWrite>();
  /** Whole stored values read for this batch (one multi-get up front, single gets for the rest). */
  readonly valuesRead = new Map<string, StoredValue | undefined>();
  /** Meta answered by the cache; null means known absent. */
  private readonly metaFromCache = new Map<string, KeyMeta | null>();
  /** Bytes of keys and values the pending writes add to the stored state (negative: free). */
  bytesDelta = 0;
  /** Keys the pending writes add to the stored state (negative: deleted). */
  keysDelta = 0;
  private keysDeltaBeforeUndo = 0;
  /** While an undo scope is open: each key's pending write before the scope (undefined: none). */
  private readonly undo = new Map<string, PendingWrite | undefined>();
  private undoOpen = false;
  private bytesDeltaBeforeUndo = 0;
  /**
   * Every write in the order made, when asked for (the state machine has change listeners): a
   * key written twice in one batch appears twice. Writes taken back by rollbackUndo are dropped.
   */
  readonly changes: PendingWrite[] | undefined;
  private changesBeforeUndo = 0;

  constructor(
    private readonly reader: StoredReader,
    options: { recordChanges?: boolean } = {},
  ) {
    this.changes = options.recordChanges === true ? [] : undefined;
  }

  /** Opens an undo scope: rollbackUndo() takes back every write made from here on. */
  beginUndo(): void {
    assert(!this.undoOpen, 'an undo scope began while another is open');
    this.undoOpen = true;
    this.bytesDeltaBeforeUndo = this.bytesDelta;
    this.keysDeltaBeforeUndo = this.keysDelta;
    this.changesBeforeUndo = this.changes?.length ?? 0;
  }

  /** Keeps the writes of the open undo scope. */
  commitUndo(): void {
    assert(this.undoOpen, 'commitUndo without beginUndo');
    this.undo.clear();
    this.undoOpen = false;
  }

  /** Takes back the writes of the open undo scope. */
  rollbackUndo(): void {
    assert(this.undoOpen, 'rollbackUndo without beginUndo');
    for (const [id, before] of this.undo) {
      if (before === undefined) this.writes.delete(id);
      else this.writes.set(id, before);
    }
    this.bytesDelta = this.bytesDeltaBeforeUndo;
    this.keysDelta = this.keysDeltaBeforeUndo;
    if (this.changes !== undefined) this.changes.length = this.changesBeforeUndo;
    this.undo.clear();
    this.undoOpen = false;
  }

  /**
   * Reads ahead what the batch will need: keys whose value is needed, or whose meta the cache
   * does not know, in one multi-get.
   */
  async prefetch(uses: readonly KeyUse[]): Promise<void> {
    const needsValue = new Map<string, { key: Uint8Array; value: boolean }>();
    for (const use of uses) {
      const id = keyId(use.key);
      const known = needsValue.get(id);
      if (known === undefined) needsValue.set(id, { key: use.key, value: use.needsValue });
      else if (use.needsValue) known.value = true;
    }
    const toRead: { id: string; key: Uint8Array }[] = [];
    for (const [id, { key, value }] of needsValue) {
      const cached = value ? undefined : this.reader.cachedMeta(id);
      if (cached === undefined) toRead.push({ id, key });
      else this.metaFromCache.set(id, cached);
    }
    if (toRead.length === 0) return;
    const values = await this.reader.readStoredMany(toRead.map((item) => item.key));
    for (const [position, { id }] of toRead.entries()) this.valuesRead.set(id, values[position]);
  }

  async read(key: Uint8Array): Promise<StoredValue | undefined> {
    const id = keyId(key);
    const pending = this.writes.get(id);
    if (pending !== undefined) return pending.stored;
    if (this.valuesRead.has(id)) return this.valuesRead.get(id);
    // Nothing of this batch is written yet, so LevelDB still holds the state the batch started from.
    const stored = await this.reader.readStored(key);
    const cached = this.metaFromCache.get(id);
    if (cached !== undefined) assertSameMeta(id, { cached, stored });
    this.valuesRead.set(id, stored);
    return stored;
  }

  async readMeta(key: Uint8Array): Promise<MvccFields | undefined> {
    const id = keyId(key);
    const pending = this.writes.get(id);
    if (pending !== undefined) return pending.stored;
    const cached = this.metaFromCache.get(id);
    if (cached !== undefined) return cached ?? undefined;
    return this.read(key);
  }

  /** Call only after reading the key (read or readMeta) in this batch: its size before is then known. */
  write(key: Uint8Array, stored: StoredValue | undefined): void {
    const id = keyId(key);
    const held = this.heldVersion(id);
    const before = held.valueBytes === undefined ? 0 : key.byteLength + held.valueBytes;
    this.bytesDelta += (stored === undefined ? 0 : key.byteLength + stored.value.byteLength) - before;
    this.keysDelta += (stored === undefined ? 0 : 1) - (held.valueBytes === undefined ? 0 : 1);
    if (this.undoOpen && !this.undo.has(id)) this.undo.set(id, this.writes.get(id));
    const write = { key, stored, previousModRevision: held.modRevision, previous: held.stored };
    this.writes.set(id, write);
    this.changes?.push(write);
  }

  /** The key's version in the state as this batch has it so far (valueBytes undefined: absent). */
  private heldVersion(id: string): { valueBytes: number | undefined; modRevision: number; stored: StoredValue | undefined | 'stored' } {
    const pending = this.writes.get(id);
    if (pending !== undefined) return versionOf(pending.stored);
    if (this.valuesRead.has(id)) return versionOf(this.valuesRead.get(id));
    const cached = this.metaFromCache.get(id);
    // Checked before the message is built: this runs for every write.
    if (cached === undefined) assert(false, `write of key ${JSON.stringify(id)} that the batch never read`);
    return cached === null ? { valueBytes: undefined, modRevision: 0, stored: undefined } : { valueBytes: cached.valueBytes, modRevision: cached.modRevision, stored: 'stored' };
  }

  /** Keys that exist in range as this batch has it so far, in order; more than `limit`: undefined. */
  async keysIn(range: KeySpan, limit: number): Promise<Uint8Array[] | undefined> {
    const pendingInRange = [...this.writes.values()].filter((write) => inSpan(write.key, range));
    const stored = await this.reader.storedKeysIn(range, limit + pendingInRange.length + 1);
    const keys = new Map<string, Uint8Array>();
    for (const key of stored) keys.set(keyId(key), key);
    for (const write of pendingInRange) {
      if (write.stored === undefined) keys.delete(keyId(write.key));
      else keys.set(keyId(write.key), write.key);
    }
    if (keys.size > limit) return undefined;
    return [...keys.values()].sort((a, b) => Buffer.compare(a, b));
  }
}

function versionOf(stored: StoredValue | undefined): { valueBytes: number | undefined; modRevision: number; stored: StoredValue | undefined } {
  return stored === undefined ? { valueBytes: undefined, modRevision: 0, stored } : { valueBytes: stored.value.byteLength, modRevision: stored.modRevision, stored };
}

export function inSpan(key: Uint8Array, range: KeySpan): boolean {
  return Buffer.compare(key, range.start) >= 0 && (range.end === undefined || Buffer.compare(key, range.end) < 0);
}

/** The cache and LevelDB disagreeing about a key is a bug that would serve wrong data: stop. */
function assertSameMeta(id: string, seen: { cached: KeyMeta | null; stored: StoredValue | undefined }): void {
  const { cached, stored } = seen;
  const agree =
    cached === null
      ? stored === undefined
      : stored !== undefined &&
        stored.createRevision === cached.createRevision &&
        stored.modRevision === cached.modRevision &&
        stored.version === cached.version &&
        stored.value.byteLength === cached.valueBytes;
  assert(agree, `key meta cache disagrees with the store for key ${JSON.stringify(id)}: ${JSON.stringify(cached)} vs ${JSON.stringify(stored === undefined ? null : { ...stored, value: undefined })}`);
}

/** A key an operation touches, and whether it needs the stored value (not just the MVCC fields). */
export interface KeyUse {
  readonly key: Uint8Array;
  readonly needsValue: boolean;
}

/**
 * Every key an operation reads or writes, with what it is expected to need. A guard that fails
 * needs the value too (for currentKv); that rare case reads it when it happens.
 */
export function keyUsesOf(operation: KvOperation): KeyUse[] {
  // A lease command's keys are known only from the lease table, at apply.
  if (operation.type === 'leaseGrant' || operation.type === 'leaseRevoke') return [];
  // A range delete finds its keys as it runs; a compaction touches none.
  if (operation.type === 'deleteRange' || operation.type === 'compact' || operation.type === 'setPlacement' || operation.type === 'auth') return [];
  if (operation.type !== 'txn') return [{ key: operation.key, needsValue: operation.prevKv === true }];
  return [
    ...operation.compare.map((compare) => ({ key: compare.key, needsValue: compare.target === 'value' })),
    ...operation.success.map(txnOpUse),
    ...operation.failure.map(txnOpUse),
  ];
}

function txnOpUse(op: TxnOp): KeyUse {
  return { key: op.key, needsValue: op.type === 'get' || op.prevKv === true };
}

/** The store revision before the command; the command's writes all carry revision + 1. */
interface Revisions {
  readonly current: number;
  readonly write: number;
}

/**
 * Executes one well-formed operation. Returns the outcome and whether it changed any key
 * (the caller then advances the revision by one).
 */
export async function executeOperation(
  operation: KvOperation,
  context: { writeSet: WriteSet; revision: number },
): Promise<{ outcome: CommandOutcome; changed: boolean }> {
  const revisions = { current: context.revision, write: context.revision + 1 };
  switch (operation.type) {
    case 'put':
      return executeGuardedPut(operation, context.writeSet, revisions);
    case 'delete':
      return executeGuardedDelete(operation, context.writeSet, revisions);
    case 'txn':
      return executeTxn(operation, context.writeSet, revisions);
    case 'deleteRange':
      return executeDeleteRange(operation, context.writeSet, revisions);
    case 'leaseGrant':
    case 'leaseRevoke':
    case 'compact':
    case 'setPlacement':
    case 'auth':
      // The state machine runs these itself: against its lease table (leases.ts), on the history,
      // on its meta (placement.ts, auth-state.ts).
      assert(false, `executeOperation was given a ${operation.type}`);
  }
}

/** The keys a deleteRange covers, as a span of user keys (see DeleteRangeOp). */
export function deleteRangeSpan(op: DeleteRangeOp): KeySpan {
  if (op.prefix !== undefined) {
    const end = prefixEnd(op.prefix);
    return { start: op.prefix, end };
  }
  const start = op.start ?? new Uint8Array(0);
  if (op.end === undefined || op.end.byteLength === 0) return { start, end: Buffer.concat([start, Uint8Array.of(0)]) };
  if (op.end.byteLength === 1 && op.end[0] === 0) return { start, end: undefined };
  return { start, end: op.end };
}

async function executeDeleteRange(
  op: DeleteRangeOp,
  writeSet: WriteSet,
  revisions: Revisions,
): Promise<{ outcome: CommandOutcome; changed: boolean }> {
  const keys = await writeSet.keysIn(deleteRangeSpan(op), op.keysMax);
  if (keys === undefined) return { outcome: { type: 'tooManyKeys', keysInRange: op.keysMax + 1, keysMax: op.keysMax }, changed: false };
  if (keys.length === 0) return { outcome: { type: 'deleteRange', deleted: 0, revision: revisions.current }, changed: false };
  const prevKvs: KeyValue[] = [];
  for (const key of keys) {
    if (op.prevKv === true) {
      const stored = await writeSet.read(key);
      assert(stored !== undefined, `key ${keyId(key)} in range has no stored value`);
      prevKvs.push(toKeyValue(key, stored, { keysOnly: false }));
    } else {
      await writeSet.readMeta(key);
    }
    writeSet.write(key, undefined);
  }
  const outcome: DeleteRangeResult = { type: 'deleteRange', deleted: keys.length, revision: revisions.write, ...(op.prevKv === true ? { prevKvs } : {}) };
  return { outcome, changed: true };
}

async function executeGuardedPut(
  op: PutOp,
  writeSet: WriteSet,
  revisions: Revisions,
): Promise<{ outcome: CommandOutcome; changed: boolean }> {
  const current = await writeSet.readMeta(op.key);
  const failedGuard =
    (op.ifAbsent === true && current !== undefined) ||
    (op.ifModRevision !== undefined && op.ifModRevision > 0 && (current?.modRevision ?? 0) !== op.ifModRevision);
  if (failedGuard) return { outcome: compareFailed(op.key, await writeSet.read(op.key), revisions), changed: false };
  return { outcome: await put(op, current, { writeSet, revisions }), changed: true };
}

async function executeGuardedDelete(
  op: DeleteOp,
  writeSet: WriteSet,
  revisions: Revisions,
): Promise<{ outcome: CommandOutcome; changed: boolean }> {
  const current = await writeSet.readMeta(op.key);
  if (op.ifModRevision !== undefined && op.ifModRevision > 0 && (current?.modRevision ?? 0) !== op.ifModRevision) {
    return { outcome: compareFailed(op.key, await writeSet.read(op.key), revisions), changed: false };
  }
  const outcome = await remove(op, current, { writeSet, revisions });
  return { outcome, changed: outcome.deleted };
}

function compareFailed(key: Uint8Array, current: StoredValue | undefined, revisions: Revisions): CompareFailedResult {
  if (current === undefined) return { type: 'compareFailed', revision: revisions.current };
  return { type: 'compareFailed', revision: revisions.current, currentKv: toKeyValue(key, current, { keysOnly: false }) };
}

/** The key's previous value for a prevKv answer; read before the op writes the key. */
async function previousKv(
  op: PutOp | DeleteOp,
  current: MvccFields | undefined,
  writeSet: WriteSet,
): Promise<{ prevKv?: KeyValue }> {
  if (op.prevKv !== true || current === undefined) return {};
  const stored = await writeSet.read(op.key);
  assert(stored !== undefined, `key ${keyId(op.key)} has meta but no stored value`);
  return { prevKv: toKeyValue(op.key, stored, { keysOnly: false }) };
}

async function put(
  op: PutOp,
  current: MvccFields | undefined,
  context: { writeSet: WriteSet; revisions: Revisions },
): Promise<PutResult> {
  const revision = context.revisions.write;
  const previous = await previousKv(op, current, context.writeSet);
  context.writeSet.write(op.key, {
    value: op.value,
    createRevision: current?.createRevision ?? revision,
    modRevision: revision,
    version: (current?.version ?? 0) + 1,
    ...(op.lease === undefined ? {} : { lease: op.lease }),
  });
  return { type: 'put', revision, ...previous };
}

async function remove(
  op: DeleteOp,
  current: MvccFields | undefined,
  context: { writeSet: WriteSet; revisions: Revisions },
): Promise<DeleteResult> {
  if (current === undefined) return { type: 'delete', deleted: false, revision: context.revisions.current };
  const previous = await previousKv(op, current, context.writeSet);
  context.writeSet.write(op.key, undefined);
  return { type: 'delete', deleted: true, revision: context.revisions.write, ...previous };
}

async function executeTxn(
  txn: TxnOperation,
  writeSet: WriteSet,
  revisions: Revisions,
): Promise<{ outcome: CommandOutcome; changed: boolean }> {
  let succeeded = true;
  for (const compare of txn.compare) {
    const current = compare.target === 'value' ? await writeSet.read(compare.key) : await writeSet.readMeta(compare.key);
    if (!compareHolds(compare, current)) {
      succeeded = false;
      break;
    }
  }
  const branch = succeeded ? txn.success : txn.failure;
  const results: TxnOpResult[] = [];
  let changed = false;
  for (const op of branch) {
    const result = await executeTxnOp(op, writeSet, revisions);
    if (result.type === 'put' || (result.type === 'delete' && result.deleted)) changed = true;
    results.push(result);
  }
  // Only deletes of missing keys can leave a branch unchanged; they report the unchanged revision.
  const revision = changed ? revisions.write : revisions.current;
  return { outcome: { type: 'txn', succeeded, results, revision }, changed };
}

async function executeTxnOp(op: TxnOp, writeSet: WriteSet, revisions: Revisions): Promise<TxnOpResult> {
  switch (op.type) {
    case 'get':
      return getResult(op.key, await writeSet.read(op.key));
    case 'put':
      return put(op, await writeSet.readMeta(op.key), { writeSet, revisions });
    case 'delete':
      return remove(op, await writeSet.readMeta(op.key), { writeSet, revisions });
  }
}

function getResult(key: Uint8Array, current: StoredValue | undefined): GetResult {
  if (current === undefined) return { type: 'get', found: false };
  return { type: 'get', found: true, kv: toKeyValue(key, current, { keysOnly: false }) };
}

const emptyBytes = new Uint8Array(0);

/** A missing key compares as an empty value with version and revisions 0. */
export function compareHolds(compare: Compare, current: MvccFields | StoredValue | undefined): boolean {
  const order = compareOrder(compare, current);
  switch (compare.operator) {
    case 'equal':
      return order === 0;
    case 'notEqual':
      return order !== 0;
    case 'less':
      return order < 0;
    case 'greater':
      return order > 0;
  }
}

/** Negative, zero or positive as the key's current target is below, at or above the compare's operand. */
function compareOrder(compare: Compare, current: MvccFields | StoredValue | undefined): number {
  switch (compare.target) {
    case 'value': {
      const value = current !== undefined && 'value' in current ? current.value : emptyBytes;
      assert(current === undefined || 'value' in current, 'a value compare was given meta without the value');
      return Buffer.compare(value, compare.value ?? emptyBytes);
    }
    case 'version':
      return Math.sign((current?.version ?? 0) - (compare.number ?? 0));
    case 'modRevision':
      return Math.sign((current?.modRevision ?? 0) - (compare.number ?? 0));
    case 'createRevision':
      return Math.sign((current?.createRevision ?? 0) - (compare.number ?? 0));
  }
}
