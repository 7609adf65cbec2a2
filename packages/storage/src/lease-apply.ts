/** The seams between the state machine and its lease table (leases.ts): load, seal, version gates. */
import type { KvOperation, PutOp, TxnOp } from './command.js';
import type { Database } from './disk.js';
import { StateCorruptionError } from './errors.js';
import { isLeaseOperation } from './lease-command.js';
import { leaseIdOfRecordKey, leaseRecordKey, LeaseTable } from './leases.js';
import { leaseKeyPrefix } from './kv-format.js';
import type { BatchOperation } from './level-batch.js';
import type { InvalidResult } from './results.js';
import type { StateHashSum } from './state-hash.js';
import { describeStoredKey, type RecordSeal, sealOf, sealRecord } from './state-record.js';

const leaseLow = Uint8Array.of(leaseKeyPrefix);
const leaseHigh = Uint8Array.of(leaseKeyPrefix + 1);

export function isLeaseRecordKey(key: Uint8Array): boolean {
  return key[0] === leaseKeyPrefix;
}

/** Reads every lease record, each checked by its seal (`openRecord` throws on damage). */
export async function loadLeaseTable(
  db: Database,
  path: string,
  openRecord: (path: string, key: Uint8Array, value: Uint8Array) => Uint8Array,
): Promise<LeaseTable> {
  const records: { id: number; payload: Uint8Array; seal: RecordSeal }[] = [];
  for await (const [key, value] of db.iterator({ gte: leaseLow, lt: leaseHigh })) {
    const payload = openRecord(path, key, value);
    records.push({ id: leaseIdOfRecordKey(key), payload, seal: sealOf(key, value) });
  }
  try {
    return LeaseTable.fromRecords(records);
  } catch (cause) {
    if (cause instanceof StateCorruptionError) throw cause;
    throw new StateCorruptionError(path, 'a lease record does not decode', { cause, key: describeStoredKey(leaseLow) });
  }
}

/**
 * The batch's changed lease records as sealed operations, the records' hash moved from their old
 * seals to the new ones; returns the new seals (null: deleted). Pure: a checkpoint mid-batch calls
 * it too.
 */
export function sealLeaseRecords(table: LeaseTable, into: { sum: StateHashSum; operations: BatchOperation[] }): Map<number, RecordSeal | null> {
  const seals = new Map<number, RecordSeal | null>();
  for (const { id, payload } of table.dirtyRecords()) {
    const before = table.sealOf(id);
    if (before !== undefined) into.sum.subtract(before);
    const key = leaseRecordKey(id);
    if (payload === undefined) {
      into.operations.push({ type: 'del', key });
      seals.set(id, null);
      continue;
    }
    const value = sealRecord(key, payload);
    const seal = sealOf(key, value);
    into.sum.add(seal);
    seals.set(id, seal);
    into.operations.push({ type: 'put', key, value });
  }
  return seals;
}

/** Every put and txn op of an operation (both branches of a txn). */
export function putsOf(operation: KvOperation): (PutOp | TxnOp)[] {
  if (operation.type === 'txn') return [...operation.success, ...operation.failure];
  if (operation.type === 'put') return [operation];
  return [];
}

/**
 * A command stamped below APPLY_VERSION_LEASES, applied as the release before leases did: it
 * knew no lease command (it found no key in one) and did not look at a put's lease.
 */
export function leaseOutcomeBeforeLeases(): InvalidResult {
  return { type: 'invalid', message: 'operation needs a key' };
}

export function operationWithoutLeases(operation: KvOperation): KvOperation {
  if (isLeaseOperation(operation)) return operation;
  if (operation.type === 'put') return withoutLease(operation);
  if (operation.type !== 'txn') return operation;
  return { ...operation, success: operation.success.map(withoutLease), failure: operation.failure.map(withoutLease) };
}

function withoutLease<T extends TxnOp>(op: T): T {
  if (op.type !== 'put' || op.lease === undefined) return op;
  const { lease: _lease, ...rest } = op;
  return rest as T;
}
