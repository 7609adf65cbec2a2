import { type Compare, type DeleteOp, keyId, type KvOperation, type PutOp, type TxnOp, type TxnOperation } from './command.js';
import type { StoredValue } from './kv-format.js';
import { toKeyValue } from './kv-format.js';
import type {
  CommandOutcome,
  CompareFailedResult,
  DeleteResult,
  GetResult,
  PutResult,
  TxnOpResult,
} from './results.js';

/**
 * Pending writes of one apply batch over the stored state: reads see the batch's own writes
 * first. `undefined` in `writes` means deleted.
 */
export class WriteSet {
  readonly writes = new Map<string, { key: Uint8Array; stored: StoredValue | undefined }>();
  /** Stored values read ahead for the whole batch (one multi-get instead of one read per key). */
  private readonly prefetched = new Map<string, StoredValue | undefined>();

  constructor(
    private readonly readStored: (key: Uint8Array) => Promise<StoredValue | undefined>,
    private readonly readStoredMany: (keys: Uint8Array[]) => Promise<(StoredValue | undefined)[]>,
  ) {}

  async prefetch(keys: readonly Uint8Array[]): Promise<void> {
    const unique = new Map<string, Uint8Array>();
    for (const key of keys) unique.set(keyId(key), key);
    const list = [...unique.values()];
    if (list.length === 0) return;
    const values = await this.readStoredMany(list);
    for (const [position, key] of list.entries()) this.prefetched.set(keyId(key), values[position]);
  }

  async read(key: Uint8Array): Promise<StoredValue | undefined> {
    const id = keyId(key);
    const pending = this.writes.get(id);
    if (pending !== undefined) return pending.stored;
    if (this.prefetched.has(id)) return this.prefetched.get(id);
    return this.readStored(key);
  }

  write(key: Uint8Array, stored: StoredValue | undefined): void {
    this.writes.set(keyId(key), { key, stored });
  }
}

/** Every key an operation reads or writes. */
export function keysOf(operation: KvOperation): Uint8Array[] {
  if (operation.type !== 'txn') return [operation.key];
  return [
    ...operation.compare.map((compare) => compare.key),
    ...operation.success.map((op) => op.key),
    ...operation.failure.map((op) => op.key),
  ];
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
  }
}

async function executeGuardedPut(
  op: PutOp,
  writeSet: WriteSet,
  revisions: Revisions,
): Promise<{ outcome: CommandOutcome; changed: boolean }> {
  const current = await writeSet.read(op.key);
  const failedGuard =
    (op.ifAbsent === true && current !== undefined) ||
    (op.ifModRevision !== undefined && op.ifModRevision > 0 && (current?.modRevision ?? 0) !== op.ifModRevision);
  if (failedGuard) return { outcome: compareFailed(op.key, current, revisions), changed: false };
  return { outcome: put(op, current, { writeSet, revisions }), changed: true };
}

async function executeGuardedDelete(
  op: DeleteOp,
  writeSet: WriteSet,
  revisions: Revisions,
): Promise<{ outcome: CommandOutcome; changed: boolean }> {
  const current = await writeSet.read(op.key);
  if (op.ifModRevision !== undefined && op.ifModRevision > 0 && (current?.modRevision ?? 0) !== op.ifModRevision) {
    return { outcome: compareFailed(op.key, current, revisions), changed: false };
  }
  const outcome = remove(op, current, { writeSet, revisions });
  return { outcome, changed: outcome.deleted };
}

function compareFailed(key: Uint8Array, current: StoredValue | undefined, revisions: Revisions): CompareFailedResult {
  if (current === undefined) return { type: 'compareFailed', revision: revisions.current };
  return { type: 'compareFailed', revision: revisions.current, currentKv: toKeyValue(key, current, { keysOnly: false }) };
}

function put(
  op: PutOp,
  current: StoredValue | undefined,
  context: { writeSet: WriteSet; revisions: Revisions },
): PutResult {
  const revision = context.revisions.write;
  context.writeSet.write(op.key, {
    value: op.value,
    createRevision: current?.createRevision ?? revision,
    modRevision: revision,
    version: (current?.version ?? 0) + 1,
  });
  if (op.prevKv === true && current !== undefined) {
    return { type: 'put', revision, prevKv: toKeyValue(op.key, current, { keysOnly: false }) };
  }
  return { type: 'put', revision };
}

function remove(
  op: DeleteOp,
  current: StoredValue | undefined,
  context: { writeSet: WriteSet; revisions: Revisions },
): DeleteResult {
  if (current === undefined) return { type: 'delete', deleted: false, revision: context.revisions.current };
  context.writeSet.write(op.key, undefined);
  const revision = context.revisions.write;
  if (op.prevKv === true) {
    return { type: 'delete', deleted: true, revision, prevKv: toKeyValue(op.key, current, { keysOnly: false }) };
  }
  return { type: 'delete', deleted: true, revision };
}

async function executeTxn(
  txn: TxnOperation,
  writeSet: WriteSet,
  revisions: Revisions,
): Promise<{ outcome: CommandOutcome; changed: boolean }> {
  let succeeded = true;
  for (const compare of txn.compare) {
    if (!compareHolds(compare, await writeSet.read(compare.key))) {
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
  const current = await writeSet.read(op.key);
  switch (op.type) {
    case 'get':
      return getResult(op.key, current);
    case 'put':
      return put(op, current, { writeSet, revisions });
    case 'delete':
      return remove(op, current, { writeSet, revisions });
  }
}

function getResult(key: Uint8Array, current: StoredValue | undefined): GetResult {
  if (current === undefined) return { type: 'get', found: false };
  return { type: 'get', found: true, kv: toKeyValue(key, current, { keysOnly: false }) };
}

const emptyBytes = new Uint8Array(0);

/** A missing key compares as an empty value with version and revisions 0. */
export function compareHolds(compare: Compare, current: StoredValue | undefined): boolean {
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
function compareOrder(compare: Compare, current: StoredValue | undefined): number {
  switch (compare.target) {
    case 'value':
      return Buffer.compare(current?.value ?? emptyBytes, compare.value ?? emptyBytes);
    case 'version':
      return Math.sign((current?.version ?? 0) - (compare.number ?? 0));
    case 'modRevision':
      return Math.sign((current?.modRevision ?? 0) - (compare.number ?? 0));
    case 'createRevision':
      return Math.sign((current?.createRevision ?? 0) - (compare.number ?? 0));
  }
}
