/**
 * The lease table of the state machine: every lease with its TTL and the keys attached to it,
 * held in memory (at most --leases-max leases of at most their keysMax keys each) and stored as
 * sealed records under the 'l' prefix (kv-format.ts), so leases survive restarts, travel in
 * snapshots and count in the state hash like keys and sessions.
 *
 * Only apply changes the table, one batch at a time: begin() journals what the batch changes,
 * so a batch that fails to be written leaves the table as it was (rollback()), and dirtyRecords()
 * says which records the batch must write. The clock of a lease (when it expires) is not here:
 * it is the leader's (the server's LeaseKeeper), and an expiry reaches the table as a logged
 * leaseRevoke.
 */
import { assert } from './errors.js';
import type { LeaseGrantOp, LeaseRevokeOp } from './lease-command.js';
import { leaseKeyPrefix, packr } from './kv-format.js';
import { keyId, type PutOp, type TxnOp } from './command.js';
import type { LeaseGrantResult, LeaseRefusedResult, LeaseRevokeResult } from './results.js';
import type { RecordSeal } from './state-record.js';
import type { WriteSet } from './executor.js';

/** A lease as held: its TTL, its limit on keys, and its keys by key id. */
export interface Lease {
  readonly id: number;
  readonly ttlMs: number;
  readonly keysMax: number;
  /** Invariant: keys.size <= keysMax; every key here maps back to this lease in leaseOfKey. */
  readonly keys: ReadonlyMap<string, Uint8Array>;
}

/** What the lease table says of one lease (TTL query, list). */
export interface LeaseInfo {
  readonly id: number;
  readonly ttlMs: number;
  readonly keys: readonly Uint8Array[];
}

/** A lease record as stored (msgpack): keys as a list. Id 0 is the counter record: { lastId }. */
interface LeaseRecord {
  readonly id: number;
  readonly ttlMs: number;
  readonly keysMax: number;
  readonly keys: readonly Uint8Array[];
}

interface CounterRecord {
  readonly lastId: number;
}

/** The record id of the counter of granted ids. */
const counterId = 0;

export function leaseRecordKey(id: number): Uint8Array {
  const key = Buffer.allocUnsafe(9);
  key[0] = leaseKeyPrefix;
  key.writeBigUInt64BE(BigInt(id), 1);
  return key;
}

export function leaseIdOfRecordKey(key: Uint8Array): number {
  assert(key.byteLength === 9 && key[0] === leaseKeyPrefix, `a lease record key of ${key.byteLength} bytes`);
  return Number(Buffer.from(key.buffer, key.byteOffset, key.byteLength).readBigUInt64BE(1));
}

export class LeaseTable {
  private readonly leases = new Map<number, Lease>();
  /** Invariant: the inverse of every lease's keys. */
  private readonly leaseOfKey = new Map<string, number>();
  /** The highest id ever granted: ids are never handed out twice. */
  private lastIdValue = 0;
  /** The seal of each stored record (id 0: the counter). */
  private readonly seals = new Map<number, RecordSeal>();
  /** While a batch runs: each changed lease as it was before it (null: absent), and the counter. */
  private journal: { leases: Map<number, Lease | null>; lastId: number } | undefined;
  /** Counts changes to the set of leases (grants and ends), so a watcher can skip unchanged tables. */
  private generationValue = 0;

  /** Builds the table from stored records (payloads already checked by their seals). */
  static fromRecords(records: readonly { id: number; payload: Uint8Array; seal: RecordSeal }[]): LeaseTable {
    const table = new LeaseTable();
    for (const { id, payload, seal } of records) {
      table.seals.set(id, seal);
      if (id === counterId) {
        table.lastIdValue = (packr.unpack(payload) as CounterRecord).lastId;
        continue;
      }
      const record = packr.unpack(payload) as LeaseRecord;
      assert(record.id === id, `lease record ${id} holds lease ${record.id}`);
      const keys = new Map(record.keys.map((key) => [keyId(key), Buffer.from(key)] as const));
      table.leases.set(id, { id, ttlMs: record.ttlMs, keysMax: record.keysMax, keys });
      for (const kid of keys.keys()) table.leaseOfKey.set(kid, id);
    }
    return table;
  }

  get size(): number {
    return this.leases.size;
  }

  get lastId(): number {
    return this.lastIdValue;
  }

  get generation(): number {
    return this.generationValue;
  }

  get(id: number): Lease | undefined {
    return this.leases.get(id);
  }

  list(): LeaseInfo[] {
    return [...this.leases.values()].sort((a, b) => a.id - b.id).map(infoOf);
  }

  info(id: number): LeaseInfo | undefined {
    const lease = this.leases.get(id);
    return lease === undefined ? undefined : infoOf(lease);
  }

  sealOf(id: number): RecordSeal | undefined {
    return this.seals.get(id);
  }

  // ---- batches ----

  begin(): void {
    assert(this.journal === undefined, 'a lease batch began inside another');
    this.journal = { leases: new Map(), lastId: this.lastIdValue };
  }

  /** The records the batch changed: each id with its new record payload (undefined: deleted). */
  dirtyRecords(): { id: number; payload: Uint8Array | undefined }[] {
    const journal = this.journal;
    if (journal === undefined) return [];
    const records: { id: number; payload: Uint8Array | undefined }[] = [];
    if (this.lastIdValue !== journal.lastId) records.push({ id: counterId, payload: packr.pack({ lastId: this.lastIdValue } satisfies CounterRecord) });
    for (const id of journal.leases.keys()) {
      const lease = this.leases.get(id);
      records.push({ id, payload: lease === undefined ? undefined : packr.pack(recordOf(lease)) });
    }
    return records;
  }

  /** The batch is written: `seals` are the new records' seals (null: deleted). */
  commit(seals: ReadonlyMap<number, RecordSeal | null>): void {
    for (const [id, seal] of seals) {
      if (seal === null) this.seals.delete(id);
      else this.seals.set(id, seal);
    }
    this.journal = undefined;
  }

  /** The batch was not written: the table goes back to what it was before begin(). */
  rollback(): void {
    const journal = this.journal;
    if (journal === undefined) return;
    for (const [id, before] of journal.leases) {
      const now = this.leases.get(id);
      if (now !== undefined) for (const kid of now.keys.keys()) this.leaseOfKey.delete(kid);
      if (before === null) {
        this.leases.delete(id);
        continue;
      }
      this.leases.set(id, before);
      for (const kid of before.keys.keys()) this.leaseOfKey.set(kid, id);
    }
    this.lastIdValue = journal.lastId;
    this.journal = undefined;
    this.generationValue += 1;
  }

  private change(id: number, lease: Lease | undefined): void {
    const journal = this.journal;
    assert(journal !== undefined, `lease ${id} changed outside a batch`);
    if (!journal.leases.has(id)) journal.leases.set(id, this.leases.get(id) ?? null);
    if (lease === undefined) this.leases.delete(id);
    else this.leases.set(id, lease);
  }

  // ---- commands ----

  grant(op: LeaseGrantOp): LeaseGrantResult | LeaseRefusedResult {
    const id = op.id === 0 ? this.lastIdValue + 1 : op.id;
    if (this.leases.has(id)) return refused('leaseExists', id, `lease ${id} exists`);
    if (this.leases.size >= op.leasesMax) {
      return refused('leasesExceeded', id, `the cluster holds ${this.leases.size} leases; the limit is ${op.leasesMax} (--leases-max)`);
    }
    this.change(id, { id, ttlMs: op.ttlMs, keysMax: op.keysMax, keys: new Map() });
    this.lastIdValue = Math.max(this.lastIdValue, id);
    this.generationValue += 1;
    return { type: 'leaseGrant', id, ttlMs: op.ttlMs };
  }

  /**
   * Ends the lease and deletes its keys through `writeSet` (one revision for all of them).
   * Returns the result and whether any key was deleted.
   */
  async revoke(op: LeaseRevokeOp, context: { writeSet: WriteSet; revision: number }): Promise<{ outcome: LeaseRevokeResult | LeaseRefusedResult; changed: boolean }> {
    const lease = this.leases.get(op.id);
    if (lease === undefined) return { outcome: refused('leaseNotFound', op.id, `lease ${op.id} not found`), changed: false };
    let keysDeleted = 0;
    for (const key of lease.keys.values()) {
      const current = await context.writeSet.readMeta(key);
      assert(current !== undefined, `key ${keyId(key)} of lease ${op.id} is not in the store`);
      context.writeSet.write(key, undefined);
      keysDeleted += 1;
    }
    for (const kid of lease.keys.keys()) this.leaseOfKey.delete(kid);
    this.change(op.id, undefined);
    this.generationValue += 1;
    const changed = keysDeleted > 0;
    return { outcome: { type: 'leaseRevoke', id: op.id, keysDeleted, revision: changed ? context.revision + 1 : context.revision }, changed };
  }

  /**
   * Checks, before a command runs, that every lease its puts name exists and would take the
   * keys (counting every put of both branches of a txn, so the answer does not depend on which
   * branch runs). Returns the refusal, or undefined.
   */
  checkPuts(ops: readonly (PutOp | TxnOp)[]): LeaseRefusedResult | undefined {
    const adding = new Map<number, Set<string>>();
    for (const op of ops) {
      if (op.type !== 'put' || op.lease === undefined) continue;
      const lease = this.leases.get(op.lease);
      if (lease === undefined) return refused('leaseNotFound', op.lease, `lease ${op.lease} not found`);
      const kid = keyId(op.key);
      if (lease.keys.has(kid)) continue;
      const keys = adding.get(op.lease) ?? new Set();
      keys.add(kid);
      adding.set(op.lease, keys);
      if (lease.keys.size + keys.size > lease.keysMax) {
        return refused('leaseKeysExceeded', op.lease, `lease ${op.lease} holds ${lease.keys.size} keys; the limit is ${lease.keysMax} (--lease-keys-max)`);
      }
    }
    return undefined;
  }

  /** After a write to `key` (stored: its new record, undefined when deleted): moves the key to its new lease. */
  noteWrite(key: Uint8Array, lease: number | undefined): void {
    const kid = keyId(key);
    const before = this.leaseOfKey.get(kid);
    if (before === lease) return;
    if (before !== undefined) this.detach(before, kid);
    if (lease !== undefined) this.attach(lease, kid, key);
  }

  private detach(id: number, kid: string): void {
    const lease = this.leases.get(id);
    assert(lease !== undefined, `key ${JSON.stringify(kid)} maps to lease ${id}, which is not held`);
    const keys = new Map(lease.keys);
    keys.delete(kid);
    this.leaseOfKey.delete(kid);
    this.change(id, { ...lease, keys });
  }

  private attach(id: number, kid: string, key: Uint8Array): void {
    const lease = this.leases.get(id);
    // checkPuts ran before the command: a put never names a lease that is not held.
    assert(lease !== undefined, `a put attached key ${JSON.stringify(kid)} to lease ${id}, which is not held`);
    const keys = new Map(lease.keys);
    keys.set(kid, key);
    assert(keys.size <= lease.keysMax, `lease ${id} would hold ${keys.size} keys, past its limit ${lease.keysMax}`);
    this.leaseOfKey.set(kid, id);
    this.change(id, { ...lease, keys });
  }
}

function recordOf(lease: Lease): LeaseRecord {
  return { id: lease.id, ttlMs: lease.ttlMs, keysMax: lease.keysMax, keys: [...lease.keys.values()] };
}

function infoOf(lease: Lease): LeaseInfo {
  return { id: lease.id, ttlMs: lease.ttlMs, keys: [...lease.keys.values()] };
}

function refused(reason: LeaseRefusedResult['reason'], id: number, message: string): LeaseRefusedResult {
  return { type: 'leaseRefused', reason, id, message };
}
