/**
 * The simulated disk under one member's LevelDB databases (the storage package's StorageDisk
 * seam, on memory-level). Each database keeps, beside its live contents, the image a crash would
 * leave: what was synced, plus the writes since the last sync, of which a crash keeps only a
 * prefix (the operating system flushed some) or none. Faults: the last synced write torn at a
 * crash (LevelDB drops a damaged log tail and says so: reported as droppedRecords at the next
 * open), records at rest flipped, lost or swapped, fsync errors, a full disk, a slow disk.
 */
import type { Prng } from '@holdfast/raft';
import type { RepairMarker } from '@holdfast/server';
import { type Database, type DroppedRecords, NOTHING_DROPPED, type OpenDatabaseOptions, type OpenedDatabase, type StorageDisk } from '@holdfast/storage';
import { MemoryLevel } from 'memory-level';

type Bytes = Uint8Array;

interface WriteOp {
  readonly type: 'put' | 'del';
  readonly key: Bytes;
  readonly value?: Bytes;
}

/** The private write methods of an abstract-level database, wrapped to see every write. */
interface RawLevel {
  _put(key: Bytes, value: Bytes, options: { sync?: boolean }): Promise<void>;
  _del(key: Bytes, options: { sync?: boolean }): Promise<void>;
  _batch(operations: readonly WriteOp[], options: { sync?: boolean }): Promise<void>;
}

export class DiskFaultError extends Error {
  override readonly name = 'DiskFaultError';
  constructor(
    readonly code: 'EIO' | 'ENOSPC' | 'ECRASHED',
    message: string,
  ) {
    super(message);
  }
}

/** What the disk does now: set by the nemesis, read by every write. */
export interface DiskConditions {
  /** The next synced write fails (EIO) and LevelDB refuses every write after it. */
  fsyncFails: boolean;
  /** Every write fails (ENOSPC). */
  full: boolean;
  /** A synced write takes 0..this many simulated milliseconds. */
  syncLatencyMsMax: number;
}

/** How a crash treats the disk. */
export interface CrashDamage {
  /** The writes since the last sync that survive (a prefix), or 'none'. */
  readonly unsyncedKept: number;
  /** The last synced write of the log is torn (dropped whole, and reported at the next open). */
  readonly tearLastSynced: boolean;
}

const keyOf = (key: Bytes): string => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
const bytesOfKey = (key: string): Buffer => Buffer.from(key, 'latin1');

class SimDatabase {
  /** What survives a crash for sure: the synced image. */
  readonly durable = new Map<string, Bytes>();
  /** Write batches since the last sync, oldest first; a crash keeps a prefix of them. */
  pending: WriteOp[][] = [];
  /** The newest synced write (while still in LevelDB's log file) and how to take it back. */
  lastSynced: { readonly bytes: number; readonly undo: Map<string, Bytes | undefined> } | undefined;
  live: MemoryLevel<Bytes, Bytes> | undefined;
  /** Reported at the next open, as LevelDB reports what its recovery dropped. */
  droppedAtNextOpen: DroppedRecords = NOTHING_DROPPED;
  /** LevelDB's background error after a failed sync: every later write fails until reopened. */
  failed = false;
  private writeChain: Promise<void> = Promise.resolve();

  constructor(
    private readonly disk: SimStorageDisk,
    /** A write-ahead log of Raft (the defect that skips its fsync applies to it alone). */
    private readonly isRaftLog: boolean,
  ) {}

  /** A fresh live database holding the durable image. */
  async reopen(): Promise<MemoryLevel<Bytes, Bytes>> {
    const db = new MemoryLevel<Bytes, Bytes>({ keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    const raw = db as unknown as RawLevel;
    const operations: WriteOp[] = [];
    for (const [key, value] of [...this.durable].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      operations.push({ type: 'put', key: bytesOfKey(key), value });
    }
    if (operations.length > 0) await raw._batch(operations, {});
    this.wrapWrites(db);
    this.live = db;
    this.failed = false;
    return db;
  }

  private wrapWrites(db: MemoryLevel<Bytes, Bytes>): void {
    const raw = db as unknown as RawLevel;
    const base = { put: raw._put.bind(raw), del: raw._del.bind(raw), batch: raw._batch.bind(raw) };
    raw._put = (key, value, options) => this.write(db, [{ type: 'put', key, value }], options, () => base.put(key, value, options));
    raw._del = (key, options) => this.write(db, [{ type: 'del', key }], options, () => base.del(key, options));
    raw._batch = (operations, options) => this.write(db, operations, options, () => base.batch(operations, options));
  }

  /** One write, in order after the writes before it, with the disk's faults and latency. */
  private write(db: MemoryLevel<Bytes, Bytes>, operations: readonly WriteOp[], options: { sync?: boolean }, apply: () => Promise<void>): Promise<void> {
    const asked = options.sync === true;
    // The planted defect: the log's fsync does nothing, yet the write reports success.
    const sync = asked && !(this.isRaftLog && this.disk.logSyncIgnored);
    const run = async (): Promise<void> => {
      const conditions = this.disk.conditions;
      if (asked && conditions.syncLatencyMsMax > 0) await this.disk.sleep(this.disk.random.int(0, conditions.syncLatencyMsMax));
      if (db !== this.live) throw new DiskFaultError('ECRASHED', 'the database was lost with its process');
      if (this.failed) throw new DiskFaultError('EIO', 'IO error: an earlier fsync failed');
      if (conditions.full) throw new DiskFaultError('ENOSPC', 'IO error: no space left on device');
      if (sync && conditions.fsyncFails) {
        // The write reached LevelDB's log file but its fsync failed: it may or may not be on disk.
        this.failed = true;
        this.pending.push([...operations]);
        throw new DiskFaultError('EIO', 'IO error: fsync of the log file failed');
      }
      await apply();
      this.record(operations, sync);
    };
    const done = this.writeChain.then(run);
    this.writeChain = done.catch(() => undefined);
    return done;
  }

  private record(operations: readonly WriteOp[], sync: boolean): void {
    if (!sync) {
      this.pending.push([...operations]);
      return;
    }
    for (const batch of this.pending) this.applyToDurable(batch, undefined);
    this.pending = [];
    const undo = new Map<string, Bytes | undefined>();
    this.applyToDurable(operations, undo);
    let bytes = 0;
    for (const op of operations) bytes += op.key.byteLength + (op.value?.byteLength ?? 0) + 8;
    this.lastSynced = { bytes, undo };
  }

  private applyToDurable(operations: readonly WriteOp[], undo: Map<string, Bytes | undefined> | undefined): void {
    for (const op of operations) {
      const key = keyOf(op.key);
      if (undo !== undefined && !undo.has(key)) undo.set(key, this.durable.get(key));
      if (op.type === 'put' && op.value !== undefined) this.durable.set(key, op.value);
      else this.durable.delete(key);
    }
  }

  /** The process died: keep what the disk holds, lose the rest. */
  crash(damage: CrashDamage): { lost: number; torn: boolean } {
    const kept = Math.min(damage.unsyncedKept, this.pending.length);
    for (const batch of this.pending.slice(0, kept)) this.applyToDurable(batch, undefined);
    const lost = this.pending.length - kept;
    let torn = false;
    if (damage.tearLastSynced && kept === 0 && this.lastSynced !== undefined) {
      for (const [key, value] of this.lastSynced.undo) {
        if (value === undefined) this.durable.delete(key);
        else this.durable.set(key, value);
      }
      this.droppedAtNextOpen = {
        bytes: this.lastSynced.bytes,
        reports: [`Recovering log: dropping ${this.lastSynced.bytes} bytes; corrupted record (simulated torn write)`],
      };
      torn = true;
    }
    this.pending = [];
    // Writes of the dead process that were waiting never finish: the next process starts afresh.
    this.writeChain = Promise.resolve();
    // LevelDB turns its log file into a table at the next open: no older write can be torn later.
    this.lastSynced = undefined;
    this.live = undefined;
    return { lost, torn };
  }
}

export type RestDamage = 'bitFlip' | 'lost' | 'swapped';

/**
 * One member's disk: its databases by path. `conditions` are the faults in force; `crash` and
 * `damageAtRest` change the image the next open sees.
 */
export class SimStorageDisk implements StorageDisk {
  private readonly databases = new Map<string, SimDatabase>();
  readonly conditions: DiskConditions = { fsyncFails: false, full: false, syncLatencyMsMax: 0 };
  /** Planted defect (self-test): the Raft log's fsync does nothing but reports success. */
  logSyncIgnored = false;
  /** The node's repair marker, a small file written durably (it survives every crash). */
  repairMarker: RepairMarker | undefined;

  constructor(
    readonly random: Prng,
    readonly sleep: (ms: number) => Promise<void>,
  ) {}

  async openDatabase(path: string, options: OpenDatabaseOptions = {}): Promise<OpenedDatabase> {
    let file = this.databases.get(path);
    if (file === undefined) {
      if (options.createIfMissing === false) throw Object.assign(new Error(`database ${path} does not exist`), { code: 'LEVEL_DATABASE_NOT_OPEN' });
      file = new SimDatabase(this, path.endsWith('/log'));
      this.databases.set(path, file);
    }
    if (file.live !== undefined && file.live.status === 'open') {
      throw Object.assign(new Error(`database ${path} is already open (LOCK held)`), { code: 'LEVEL_LOCKED' });
    }
    const db = await file.reopen();
    const droppedRecords = file.droppedAtNextOpen;
    file.droppedAtNextOpen = NOTHING_DROPPED;
    return { db: db as unknown as Database, droppedRecords };
  }

  async remove(path: string): Promise<void> {
    for (const stored of [...this.databases.keys()]) {
      if (stored === path || stored.startsWith(`${path}/`)) {
        const file = this.databases.get(stored);
        if (file?.live?.status === 'open') await file.live.close();
        this.databases.delete(stored);
      }
    }
  }

  async rename(from: string, to: string): Promise<void> {
    const file = this.databases.get(from);
    if (file === undefined) throw Object.assign(new Error(`rename: ${from} does not exist`), { code: 'ENOENT' });
    this.databases.delete(from);
    this.databases.set(to, file);
  }

  async exists(path: string): Promise<boolean> {
    return this.databases.has(path);
  }

  async syncDirectory(_path: string): Promise<void> {}

  /** Writes since the last sync, summed over the databases. */
  get pendingBatchCount(): number {
    let count = 0;
    for (const file of this.databases.values()) count += file.pending.length;
    return count;
  }

  /**
   * The process died. Each database keeps a prefix of its unsynced writes (`keepUnsynced` picks
   * how many of `pending`); `tearLogAt` names the database whose last synced write is torn.
   */
  crash(options: { keepUnsynced: (pending: number) => number; tearPath?: string }): { lost: number; torn: boolean } {
    let lost = 0;
    let torn = false;
    for (const [path, file] of this.databases) {
      const result = file.crash({ unsyncedKept: options.keepUnsynced(file.pending.length), tearLastSynced: path === options.tearPath });
      lost += result.lost;
      torn = torn || result.torn;
    }
    return { lost, torn };
  }

  /** Damages one record at rest in the database at `path` (the member is down). */
  damageAtRest(path: string, kind: RestDamage, pick: (keys: readonly string[]) => string | undefined): string {
    const file = this.databases.get(path);
    if (file === undefined) return 'nothing to damage';
    const keys = [...file.durable.keys()].sort();
    const key = pick(keys);
    if (key === undefined) return 'nothing to damage';
    const value = file.durable.get(key)!;
    const shown = Buffer.from(key, 'latin1').toString('hex').slice(0, 24);
    switch (kind) {
      case 'bitFlip': {
        if (value.byteLength === 0) return 'nothing to damage';
        const flipped = Uint8Array.from(value);
        const at = this.random.int(0, flipped.byteLength - 1);
        flipped[at] = flipped[at]! ^ (1 << this.random.int(0, 7));
        file.durable.set(key, flipped);
        return `flipped a bit of record ${shown} at byte ${at}`;
      }
      case 'lost':
        file.durable.delete(key);
        return `lost record ${shown}`;
      case 'swapped': {
        const other = pick(keys.filter((k) => k !== key));
        if (other === undefined) return 'nothing to damage';
        file.durable.set(key, file.durable.get(other)!);
        file.durable.set(other, value);
        return `swapped records ${shown} and ${Buffer.from(other, 'latin1').toString('hex').slice(0, 24)}`;
      }
    }
  }

  /** Every record of the database at `path` as the live database holds it (for state hashes). */
  liveDatabase(path: string): MemoryLevel<Bytes, Bytes> | undefined {
    return this.databases.get(path)?.live;
  }
}
