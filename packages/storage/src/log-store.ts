import { confStateOf } from '@holdfast/raft';
import { Packr } from 'msgpackr';
import {
  assert,
  LogCommitBeyondEndError,
  LogCompactedError,
  LogConflictError,
  LogCorruptionError,
  LogUnavailableError,
  SnapshotUnavailableError,
  StoreClosedError,
} from './errors.js';
import { type LogLimits, resolveLogLimits } from './limits.js';
import { type StorageLogger, silentLogger } from './logger.js';
import type { ConfState, Entry, HardState, LogStorage, Snapshot, SnapshotMeta } from './raft-types.js';
import { type Database, type DroppedRecords, levelDisk, type StorageDisk } from './disk.js';
import { type BatchOperation, writeBatchAtomically } from './level-batch.js';
import { checkRecord, frameRecord } from './record.js';
import { newerTermVote, readTermVoteFile, type TermVote, writeTermVoteFile } from './term-vote-file.js';

export interface LogStoreOptions {
  /** The log's own LevelDB directory, normally `<dataDir>/log`. Created if missing. */
  readonly dir: string;
  readonly limits?: Partial<LogLimits>;
  /** Torn-tail repairs and other recoveries are reported here (a pino logger fits). */
  readonly logger?: StorageLogger;
  /** Where the database lives. Default: LevelDB on the file system (levelDisk). */
  readonly disk?: StorageDisk;
  /**
   * A file (outside `dir`, normally `<dataDir>/term-vote`) that keeps the hard state's term and
   * vote a second time (term-vote-file.ts): written whenever they change, in parallel with the
   * log's write; at open the newer copy wins. Without it, only the log keeps them.
   */
  readonly termVotePath?: string;
}

/** One Ready's worth of durable state. Everything in it is written in one LevelDB batch. */
export interface LogSave {
  readonly hardState?: HardState;
  /**
   * Entries to append. They must start at most one past the last stored index; stored entries
   * at index >= entries[0].index are dropped first (a conflicting suffix, Ready rule 5).
   * Entries at or below the compaction point are skipped (they are committed and identical).
   */
  readonly entries: readonly Entry[];
  /**
   * A snapshot received from the leader: it replaces the whole log (entries are dropped), and
   * `entries`, if any, must follow it directly.
   */
  readonly snapshot?: Snapshot;
  /**
   * The membership as of the compaction point (what initialState() returns; the core replays the
   * confChange entries after it). Kept current by save({snapshot}) and compact(); a driver
   * normally never passes it.
   */
  readonly confState?: ConfState;
  /** fsync the write. The server passes ready.mustSync (or true when a snapshot is saved). */
  readonly sync: boolean;
}

/** The initial log for a fresh member, written once. */
export interface LogBootstrap {
  readonly entries: readonly Entry[];
  readonly hardState: HardState;
  /**
   * The membership as of index 0. Leave it out when `entries` are the core's bootstrapEntries:
   * the core derives the membership from those confChange entries.
   */
  readonly confState?: ConfState;
}

const packr = new Packr({ useRecords: false, moreTypes: false });
const encoder = new TextEncoder();

/** Key layout: one-letter prefixes; entries under 'e' + 8-byte big-endian index so byte order is index order. */
const hardStateKey = encoder.encode('h');
const confStateKey = encoder.encode('c');
const snapshotKey = encoder.encode('s');
const baseKey = encoder.encode('b');
const entryPrefix = 0x65; // 'e'
const entryKeyLow = Uint8Array.of(entryPrefix);
const entryKeyHigh = Uint8Array.of(entryPrefix + 1);

export function entryKey(index: number): Uint8Array {
  const key = Buffer.alloc(9);
  key.writeUInt8(entryPrefix, 0);
  key.writeBigUInt64BE(BigInt(index), 1);
  return key;
}

function indexOfEntryKey(key: Uint8Array): number {
  const view = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  if (view.byteLength !== 9) return -1;
  return Number(view.readBigUInt64BE(1));
}

/** The compaction point: the last index no longer in the log, and its term. */
interface LogBase {
  readonly index: number;
  readonly term: number;
}

const zeroHardState: HardState = { term: 0, vote: 0, commit: 0 };
const emptyConfState: ConfState = { voters: [], learners: [] };

interface LoadedLog {
  hardState: HardState | undefined;
  confState: ConfState | undefined;
  snapshot: Snapshot | undefined;
  base: LogBase;
  entries: Entry[];
  entryBytes: number[];
  tailCut: LogTailCut | undefined;
  hardStateLost: string | undefined;
}

/**
 * Records at the end of the log that failed their checksum at open and were cut. LevelDB writes
 * each batch atomically (a torn write is dropped by LevelDB itself, and reported in
 * droppedAtOpen), so a record that reaches the log store damaged was damaged at rest: it may have
 * held an entry this member acknowledged, and the member must repair before it votes again.
 */
export interface LogTailCut {
  readonly fromIndex: number;
  readonly toIndex: number;
  readonly reasons: readonly string[];
}

/**
 * The Raft log, hard state and snapshot meta in one LevelDB, mirrored in memory so that the
 * core's synchronous LogStorage reads never touch the disk. Memory holds only the uncompacted
 * log: call compact() after each snapshot to bound it.
 *
 * Invariants (checked on open and on every save):
 * - stored entry indexes are exactly base.index + 1 .. lastIndex, with no gap;
 * - every entry record's checksum matches and its key equals its index;
 * - the memory mirror equals what is on disk after each save() resolves.
 */
export class LevelLogStorage implements LogStorage {
  private hardStateValue: HardState;
  private confStateValue: ConfState | undefined;
  private snapshotValue: Snapshot | undefined;
  private base: LogBase;
  /** entries[i].index === base.index + 1 + i. */
  private entriesInMemory: Entry[];
  /** Stored record bytes of entriesInMemory[i]. */
  private entryBytes: number[];
  private entryBytesTotal: number;
  /** Serializes writes so that each sees the memory mirror of the one before. */
  private writeChain: Promise<void> = Promise.resolve();
  private closed = false;
  /** What the term/vote file holds (undefined: no file, or not known to be current). */
  private termVoteWritten: TermVote | undefined;

  private constructor(
    private readonly db: Database,
    private readonly dir: string,
    private readonly limits: LogLimits,
    loaded: LoadedLog,
    /** What LevelDB dropped when this log was opened (a torn or damaged write-ahead-log tail). */
    readonly droppedAtOpen: DroppedRecords,
    /** Where the term and vote came from at open, and what was wrong with the second copy. */
    readonly termVoteAtOpen: TermVoteRecovery,
    private readonly termVotePath: string | undefined,
  ) {
    this.termVoteWritten = termVoteAtOpen.file;
    this.hardStateValue = loaded.hardState ?? zeroHardState;
    this.confStateValue = loaded.confState;
    this.snapshotValue = loaded.snapshot;
    this.base = loaded.base;
    this.entriesInMemory = loaded.entries;
    this.entryBytes = loaded.entryBytes;
    this.entryBytesTotal = loaded.entryBytes.reduce((sum, bytes) => sum + bytes, 0);
    this.tailCutAtOpen = loaded.tailCut;
    this.hardStateLostAtOpen = loaded.hardStateLost;
  }

  /** Damaged records cut from the end of the log at open (see LogTailCut); undefined if none. */
  readonly tailCutAtOpen: LogTailCut | undefined;

  /**
   * Set when the log holds entries, a snapshot or a membership but no hard state record: it was
   * lost at rest (the text says what the log holds). The log opens with the term and vote of the
   * term/vote file and commit 0; a caller must not trust it as it is (the node repairs).
   */
  readonly hardStateLostAtOpen: string | undefined;

  /** Opens (creating if missing) the log at `options.dir`, repairs a torn tail, loads the log. */
  static async open(options: LogStoreOptions): Promise<LevelLogStorage> {
    const limits = resolveLogLimits(options.limits);
    const logger = options.logger ?? silentLogger;
    let opened: { db: Database; droppedRecords: DroppedRecords };
    try {
      opened = await (options.disk ?? levelDisk).openDatabase(options.dir);
    } catch (cause) {
      const code = (cause as { cause?: { code?: unknown }; code?: unknown }).cause?.code;
      if (code === 'LEVEL_CORRUPTION') throw new LogCorruptionError(options.dir, 0, 'LevelDB reports corruption', { cause });
      throw cause;
    }
    const { db, droppedRecords } = opened;
    if (droppedRecords.bytes > 0) {
      logger.warn({ path: options.dir, droppedBytes: droppedRecords.bytes, reports: droppedRecords.reports }, 'LevelDB dropped records of the log at open');
    }
    try {
      const loaded = await loadLog(db, { dir: options.dir, limits, logger });
      const termVote = await recoverTermVote(loaded, options.termVotePath, logger);
      return new LevelLogStorage(db, options.dir, limits, loaded, droppedRecords, termVote, options.termVotePath);
    } catch (error) {
      await db.close();
      throw error;
    }
  }

  /** The database directory, as given to open(). */
  get path(): string {
    return this.dir;
  }

  /** True when nothing was ever written: no hard state, no entries, no snapshot. */
  isEmpty(): boolean {
    const hs = this.hardStateValue;
    return (
      hs.term === 0 &&
      hs.vote === 0 &&
      hs.commit === 0 &&
      this.entriesInMemory.length === 0 &&
      this.base.index === 0 &&
      this.confStateValue === undefined
    );
  }

  /** Writes the initial log for a fresh member; throws LogConflictError if the log is not empty. Synced. */
  async bootstrap(initial: LogBootstrap): Promise<void> {
    if (!this.isEmpty()) throw new LogConflictError(`log at ${this.dir} is not empty; refusing to bootstrap`);
    const confState = initial.confState === undefined ? {} : { confState: initial.confState };
    await this.save({ entries: initial.entries, hardState: initial.hardState, ...confState, sync: true });
  }

  /** Persists one Ready (snapshot meta, entries, hard state) in one batch, then updates memory. */
  async save(batch: LogSave): Promise<void> {
    await this.serialize(() => this.saveNow(batch));
  }

  /**
   * Records `snapshot` (taken by the state machine; its meta.index <= lastIndex) as the log's
   * snapshot and drops entries at or below `keepAfterIndex` (default: the snapshot's index),
   * durably in one synced batch. Keeping some entries below the snapshot (keepAfterIndex <
   * meta.index) lets slow followers catch up from the log instead of a snapshot.
   * Entries already compacted stay compacted.
   */
  async compact(options: { snapshot: Snapshot; keepAfterIndex?: number }): Promise<void> {
    await this.serialize(() => this.compactNow(options));
  }

  /** The hard state as last saved (zeros for a fresh log). */
  hardState(): HardState {
    return this.hardStateValue;
  }

  /** The meta of the last saved snapshot, or undefined if none. */
  snapshotMeta(): SnapshotMeta | undefined {
    return this.snapshotValue?.meta;
  }

  /** Bytes of the entries held in memory (stored record size). */
  entriesBytes(): number {
    return this.entryBytesTotal;
  }

  /** The hard state, and the membership as of the compaction point (firstIndex - 1). */
  initialState(): { hardState: HardState; confState: ConfState } {
    return { hardState: this.hardStateValue, confState: this.confStateValue ?? emptyConfState };
  }

  entries(lo: number, hi: number, bytesMax: number): Entry[] {
    this.assertOpen();
    if (lo <= this.base.index) throw new LogCompactedError(lo, this.firstIndex());
    if (hi > this.lastIndex() + 1) throw new LogUnavailableError(hi - 1, this.lastIndex());
    assert(lo <= hi, `entries(lo=${lo}, hi=${hi}) needs lo <= hi`);
    const start = lo - this.base.index - 1;
    const end = hi - this.base.index - 1;
    const result: Entry[] = [];
    let bytes = 0;
    for (let position = start; position < end; position++) {
      bytes += this.entryBytes[position] ?? 0;
      if (result.length > 0 && bytes > bytesMax) break;
      result.push(this.entriesInMemory[position]!);
    }
    return result;
  }

  term(index: number): number {
    this.assertOpen();
    if (index === this.base.index) return this.base.term;
    if (index < this.base.index) throw new LogCompactedError(index, this.firstIndex());
    if (index > this.lastIndex()) throw new LogUnavailableError(index, this.lastIndex());
    return this.entriesInMemory[index - this.base.index - 1]!.term;
  }

  firstIndex(): number {
    return this.base.index + 1;
  }

  lastIndex(): number {
    return this.base.index + this.entriesInMemory.length;
  }

  /**
   * The last saved snapshot. A log that was never compacted has none yet; it answers with an
   * empty snapshot at index 0 (as etcd's MemoryStorage does), which a follower never needs.
   */
  snapshot(): Snapshot {
    if (this.snapshotValue !== undefined) return this.snapshotValue;
    if (this.base.index === 0) {
      return { meta: { index: 0, term: 0, confState: this.initialState().confState }, data: new Uint8Array(0) };
    }
    throw new SnapshotUnavailableError(`log at ${this.dir} is compacted to ${this.base.index} but holds no snapshot`);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writeChain.catch(() => undefined);
    await this.db.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError(`log at ${this.dir} is closed`);
  }

  private serialize(write: () => Promise<void>): Promise<void> {
    this.assertOpen();
    const next = this.writeChain.then(write);
    // A failed write leaves the chain usable; the failure itself reaches this caller.
    this.writeChain = next.catch(() => undefined);
    return next;
  }

  private async saveNow(batch: LogSave): Promise<void> {
    const operations: BatchOperation[] = [];
    let base = this.base;
    let storedCount = this.entriesInMemory.length;
    if (batch.snapshot !== undefined) {
      this.checkIncomingSnapshot(batch.snapshot);
      operations.push(...this.deleteEntryKeys(this.firstIndex(), this.lastIndex()));
      operations.push(...this.snapshotPuts(batch.snapshot));
      operations.push({ type: 'put', key: confStateKey, value: encodeRecord(batch.snapshot.meta.confState) });
      base = { index: batch.snapshot.meta.index, term: batch.snapshot.meta.term };
      storedCount = 0;
    }
    const append = this.planAppend({ base, storedCount, incoming: batch.entries, operations });
    if (batch.hardState !== undefined) {
      operations.push({ type: 'put', key: hardStateKey, value: encodeRecord(batch.hardState) });
    }
    if (batch.confState !== undefined) {
      operations.push({ type: 'put', key: confStateKey, value: encodeRecord(batch.confState) });
    }
    if (operations.length === 0) return;
    // The second copy of term and vote is written beside the batch; both finish before save()
    // resolves, so before any vote or acknowledgement leaves (Ready rule 1).
    const termVote = this.termVoteToWrite(batch.hardState);
    await Promise.all([
      writeBatchAtomically(this.db, operations, { sync: batch.sync }),
      termVote === undefined ? undefined : this.writeTermVote(termVote),
    ]);
    // Memory follows only once the write succeeded, so the core never sees what is not durable.
    this.base = base;
    this.truncateInMemory(Math.min(storedCount, append.keep));
    for (const [position, entry] of append.entries.entries()) {
      this.entriesInMemory.push(entry);
      this.entryBytes.push(append.sizes[position]!);
      this.entryBytesTotal += append.sizes[position]!;
    }
    if (batch.snapshot !== undefined) this.snapshotValue = batch.snapshot;
    if (batch.hardState !== undefined) this.hardStateValue = batch.hardState;
    if (batch.snapshot !== undefined) this.confStateValue = batch.snapshot.meta.confState;
    if (batch.confState !== undefined) this.confStateValue = batch.confState;
  }

  /** The term and vote to write to the second copy, when `hardState` changes them. */
  private termVoteToWrite(hardState: HardState | undefined): TermVote | undefined {
    if (this.termVotePath === undefined || hardState === undefined) return undefined;
    const written = this.termVoteWritten;
    if (written !== undefined && written.term === hardState.term && written.vote === hardState.vote) return undefined;
    return { term: hardState.term, vote: hardState.vote };
  }

  private async writeTermVote(termVote: TermVote): Promise<void> {
    assert(this.termVotePath !== undefined, 'writeTermVote without a term/vote file');
    // Not known to be current until the write finished.
    this.termVoteWritten = undefined;
    await writeTermVoteFile(this.termVotePath, termVote);
    this.termVoteWritten = termVote;
  }

  /** Keeps the first `count` entries in memory. */
  private truncateInMemory(count: number): void {
    for (let position = count; position < this.entryBytes.length; position++) {
      this.entryBytesTotal -= this.entryBytes[position]!;
    }
    this.entriesInMemory.length = count;
    this.entryBytes.length = count;
  }

  private checkIncomingSnapshot(snapshot: Snapshot): void {
    if (snapshot.meta.index <= this.base.index) {
      throw new LogConflictError(
        `snapshot at index ${snapshot.meta.index} is not newer than the log's compaction point ${this.base.index}`,
      );
    }
    if (snapshot.data.byteLength > this.limits.snapshotDataBytesMax) {
      throw new LogConflictError(
        `snapshot data is ${snapshot.data.byteLength} bytes; the limit is ${this.limits.snapshotDataBytesMax}`,
      );
    }
  }

  /**
   * Plans appending `incoming` after `storedCount` entries above `base`: deletes a conflicting
   * suffix and puts the new records. Returns how many stored entries stay and what follows them;
   * memory is left untouched until the write succeeds.
   */
  private planAppend(plan: {
    base: LogBase;
    storedCount: number;
    incoming: readonly Entry[];
    operations: BatchOperation[];
  }): { keep: number; entries: Entry[]; sizes: number[] } {
    const { base, operations } = plan;
    const incoming = plan.incoming.filter((entry) => entry.index > base.index);
    const first = incoming[0];
    if (first === undefined) return { keep: plan.storedCount, entries: [], sizes: [] };
    const lastIndex = base.index + plan.storedCount;
    if (first.index > lastIndex + 1) {
      throw new LogConflictError(`entries start at ${first.index}, leaving a gap after the last index ${lastIndex}`);
    }
    checkContiguous(incoming);
    for (let index = first.index; index <= lastIndex; index++) operations.push({ type: 'del', key: entryKey(index) });
    const sizes: number[] = [];
    for (const entry of incoming) {
      const record = encodeRecord(entry);
      if (record.byteLength > this.limits.entryBytesMax) {
        throw new LogConflictError(
          `entry ${entry.index} is ${record.byteLength} bytes stored; the limit is ${this.limits.entryBytesMax}`,
        );
      }
      operations.push({ type: 'put', key: entryKey(entry.index), value: record });
      sizes.push(record.byteLength);
    }
    return { keep: first.index - base.index - 1, entries: incoming, sizes };
  }

  private async compactNow(options: { snapshot: Snapshot; keepAfterIndex?: number }): Promise<void> {
    const { snapshot } = options;
    const compactTo = options.keepAfterIndex ?? snapshot.meta.index;
    if (snapshot.meta.index > this.lastIndex()) {
      throw new LogConflictError(`snapshot index ${snapshot.meta.index} is past the last index ${this.lastIndex()}`);
    }
    if (compactTo > snapshot.meta.index) {
      throw new LogConflictError(`cannot compact to ${compactTo}, past the snapshot at ${snapshot.meta.index}`);
    }
    if (snapshot.data.byteLength > this.limits.snapshotDataBytesMax) {
      throw new LogConflictError(
        `snapshot data is ${snapshot.data.byteLength} bytes; the limit is ${this.limits.snapshotDataBytesMax}`,
      );
    }
    if (snapshot.meta.index >= this.firstIndex() && this.term(snapshot.meta.index) !== snapshot.meta.term) {
      throw new LogConflictError(
        `snapshot term ${snapshot.meta.term} at ${snapshot.meta.index} differs from the log's ${this.term(snapshot.meta.index)}`,
      );
    }
    const operations: BatchOperation[] = this.snapshotPuts(snapshot).filter((op) => op.key !== baseKey);
    let base = this.base;
    let baseConfState = this.confStateValue ?? emptyConfState;
    if (compactTo > this.base.index) {
      base = { index: compactTo, term: this.term(compactTo) };
      const dropped = this.entriesInMemory.slice(0, compactTo - this.base.index);
      baseConfState = confStateOf(dropped, baseConfState);
      operations.push(...this.deleteEntryKeys(this.firstIndex(), compactTo));
      operations.push({ type: 'put', key: baseKey, value: encodeRecord(base) });
      operations.push({ type: 'put', key: confStateKey, value: encodeRecord(baseConfState) });
    }
    await writeBatchAtomically(this.db, operations, { sync: true });
    this.confStateValue = baseConfState;
    const dropped = base.index - this.base.index;
    this.entriesInMemory = this.entriesInMemory.slice(dropped);
    this.entryBytes = this.entryBytes.slice(dropped);
    this.entryBytesTotal = this.entryBytes.reduce((sum, bytes) => sum + bytes, 0);
    this.base = base;
    this.snapshotValue = snapshot;
  }

  private snapshotPuts(snapshot: Snapshot): BatchOperation[] {
    return [
      { type: 'put', key: snapshotKey, value: encodeRecord(snapshot) },
      { type: 'put', key: baseKey, value: encodeRecord({ index: snapshot.meta.index, term: snapshot.meta.term }) },
    ];
  }

  private deleteEntryKeys(from: number, to: number): BatchOperation[] {
    const operations: BatchOperation[] = [];
    for (let index = from; index <= to; index++) operations.push({ type: 'del', key: entryKey(index) });
    return operations;
  }
}

function checkContiguous(entries: readonly Entry[]): void {
  for (let position = 1; position < entries.length; position++) {
    const previous = entries[position - 1]!;
    const current = entries[position]!;
    if (current.index !== previous.index + 1) {
      throw new LogConflictError(`entries are not contiguous: ${current.index} follows ${previous.index}`);
    }
  }
}

function encodeRecord(value: unknown): Uint8Array {
  return frameRecord(packr.pack(value));
}

type Fields = Readonly<Record<string, unknown>>;

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isIdList(value: unknown): boolean {
  return Array.isArray(value) && value.every((id) => Number.isSafeInteger(id) && id > 0);
}

function isHardState(value: unknown): value is HardState {
  return isFields(value) && isCount(value.term) && isCount(value.vote) && isCount(value.commit);
}

function isConfState(value: unknown): value is ConfState {
  return isFields(value) && isIdList(value.voters) && isIdList(value.learners);
}

function isSnapshot(value: unknown): value is Snapshot {
  if (!isFields(value) || !(value.data instanceof Uint8Array) || !isFields(value.meta)) return false;
  return isCount(value.meta.index) && isCount(value.meta.term) && isConfState(value.meta.confState);
}

/** An entry record also has an index and a term: a base never has data or a type. */
function isLogBase(value: unknown): value is LogBase {
  return isFields(value) && isCount(value.index) && isCount(value.term) && !('data' in value) && !('type' in value);
}

/**
 * Reads a small framed record (hard state, conf state, base, snapshot); any damage there is
 * corruption. The checksum covers the record, not its key, so a record moved under another
 * key (two records swapped at rest) passes it: the decoded value must also have the shape of
 * the record its key names, or it is corruption too, never a membership or a term taken as read.
 */
async function readMetaRecord<T>(
  db: Database,
  key: Uint8Array,
  context: { dir: string; limits: LogLimits; name: string; hasShape: (value: unknown) => value is T },
): Promise<T | undefined> {
  const stored = await db.get(key);
  if (stored === undefined) return undefined;
  const check = checkRecord(stored, context.limits.entryBytesMax);
  if (check.kind !== 'ok') throw new LogCorruptionError(context.dir, 0, `${context.name} record: ${check.reason}`);
  let value: unknown;
  try {
    value = packr.unpack(check.payload);
  } catch (cause) {
    throw new LogCorruptionError(context.dir, 0, `${context.name} record does not decode`, { cause });
  }
  if (!context.hasShape(value)) {
    throw new LogCorruptionError(context.dir, 0, `${context.name} record holds something else (a record moved under its key?)`);
  }
  return value;
}

interface StoredEntry {
  readonly index: number;
  readonly check: ReturnType<typeof checkRecord>;
}

async function loadLog(
  db: Database,
  context: { dir: string; limits: LogLimits; logger: StorageLogger },
): Promise<LoadedLog> {
  const { dir, limits } = context;
  const hardState = await readMetaRecord(db, hardStateKey, { dir, limits, name: 'hard state', hasShape: isHardState });
  const confState = await readMetaRecord(db, confStateKey, { dir, limits, name: 'conf state', hasShape: isConfState });
  const snapshot = await readMetaRecord(db, snapshotKey, { dir, limits, name: 'snapshot', hasShape: isSnapshot });
  const storedBase = await readMetaRecord(db, baseKey, { dir, limits, name: 'base', hasShape: isLogBase });
  const base = storedBase ?? { index: 0, term: 0 };
  const stored: StoredEntry[] = [];
  for await (const [key, value] of db.iterator({ gte: entryKeyLow, lt: entryKeyHigh })) {
    stored.push({ index: indexOfEntryKey(key), check: checkRecord(value, limits.entryBytesMax) });
  }
  const hardStateLost = hardState === undefined ? heldWithoutHardState({ entries: stored.length, snapshot, base: storedBase, confState }) : undefined;
  // Refuse before cutting anything: a cut that reaches committed entries must leave the
  // evidence on disk for the operator.
  const keptCount = tornTailStart(stored, context);
  const keptLastIndex = keptCount === 0 ? base.index : stored[keptCount - 1]!.index;
  assertCommitWithinLog(hardState, { lastIndex: keptLastIndex, dir, logger: context.logger, cut: keptCount < stored.length });
  const { kept, tailCut } = await cutTornTail(db, stored, { ...context, keptCount });
  const entries: Entry[] = [];
  const entryBytes: number[] = [];
  let expectedIndex = base.index + 1;
  for (const { index, check } of kept) {
    assert(check.kind === 'ok', `cutTornTail left a bad record at ${index}`);
    if (index !== expectedIndex) {
      const reason = index < expectedIndex ? `entry at or below the compaction point ${base.index}` : 'gap in indexes';
      throw new LogCorruptionError(dir, Math.min(index, expectedIndex), `${reason} (found ${index}, expected ${expectedIndex})`);
    }
    const entry = decodeStoredEntry(check.payload, { dir, index });
    entries.push(entry);
    entryBytes.push(check.payload.byteLength + 9);
    expectedIndex++;
  }
  const lastIndex = base.index + entries.length;
  const checkedHardState = assertCommitWithinLog(hardState, { lastIndex, dir, logger: context.logger, cut: kept.length < stored.length });
  return { hardState: checkedHardState, confState, snapshot, base, entries, entryBytes, tailCut, hardStateLost };
}

/**
 * Every write that first puts entries, a snapshot or a membership into the log carries the hard
 * state (the term is raised before any entry can arrive, and bootstrap writes both), so a log
 * holding any of them without a hard state record lost it at rest: its commit index is gone (the
 * core refuses an applied index above the zero it would start from) and its vote survives only in
 * the term/vote file. Says what the log holds then; undefined when it holds nothing (a fresh log).
 */
function heldWithoutHardState(held: { entries: number; snapshot: unknown; base: LogBase | undefined; confState: unknown }): string | undefined {
  const what = [
    held.entries > 0 ? `${held.entries} entries` : '',
    held.snapshot !== undefined ? 'a snapshot' : '',
    held.base !== undefined ? `a compaction point at ${held.base.index}` : '',
    held.confState !== undefined ? 'a membership' : '',
  ].filter((part) => part !== '');
  return what.length === 0 ? undefined : `the hard state record is missing, but the log holds ${what.join(', ')}`;
}

/** Where the term and vote came from at open (see LogStoreOptions.termVotePath). */
export interface TermVoteRecovery {
  /** The copy the hard state's term and vote were taken from. */
  readonly from: 'log' | 'file';
  readonly log: TermVote;
  /** What the file holds after open (brought up to date when it was behind); undefined without one. */
  readonly file: TermVote | undefined;
  /** The file was damaged, or held another vote than the log in the same term. */
  readonly problem?: string;
}

/**
 * Takes the newer of the log's and the file's term and vote into the loaded hard state (the
 * commit index is the log's alone), and brings an older or missing file up to date.
 */
async function recoverTermVote(loaded: LoadedLog, path: string | undefined, logger: StorageLogger): Promise<TermVoteRecovery> {
  const logCopy: TermVote = { term: loaded.hardState?.term ?? 0, vote: loaded.hardState?.vote ?? 0 };
  if (path === undefined) return { from: 'log', log: logCopy, file: undefined };
  const read = await readTermVoteFile(path);
  const fileCopy = read.kind === 'ok' ? read.termVote : undefined;
  const newer = fileCopy === undefined ? { termVote: logCopy, conflict: false } : newerTermVote(fileCopy, logCopy);
  const { termVote } = newer;
  const fromFile = fileCopy !== undefined && (termVote.term !== logCopy.term || termVote.vote !== logCopy.vote);
  if (fromFile) {
    loaded.hardState = { term: termVote.term, vote: termVote.vote, commit: loaded.hardState?.commit ?? 0 };
    logger.warn({ path, log: logCopy, file: fileCopy }, 'the log lost its latest term or vote; took them from the term/vote file');
  }
  const problem = read.kind === 'damaged' ? `term/vote file ${path} ${read.reason}` : newer.conflict ? `term/vote file ${path} says vote ${fileCopy?.vote} in term ${termVote.term}, the log says ${logCopy.vote}` : undefined;
  if (problem !== undefined) logger.warn({ path, problem }, 'the term/vote file disagrees with the log');
  let fileNow = fileCopy;
  const fileBehind = fileCopy === undefined || fileCopy.term !== termVote.term || fileCopy.vote !== termVote.vote;
  if (fileBehind && (termVote.term > 0 || read.kind !== 'missing')) {
    await writeTermVoteFile(path, termVote);
    fileNow = termVote;
  }
  return { from: fromFile ? 'file' : 'log', log: logCopy, file: fileNow, ...(problem === undefined ? {} : { problem }) };
}

function decodeStoredEntry(payload: Uint8Array, context: { dir: string; index: number }): Entry {
  let entry: Entry;
  try {
    entry = packr.unpack(payload) as Entry;
  } catch (cause) {
    throw new LogCorruptionError(context.dir, context.index, 'entry does not decode', { cause });
  }
  if (typeof entry !== 'object' || entry === null || entry.index !== context.index) {
    throw new LogCorruptionError(context.dir, context.index, `entry stored under index ${context.index} says ${String(entry?.index)}`);
  }
  return asPlainBytes(entry);
}

/** msgpackr decodes bytes as Buffer; hand the core plain Uint8Array views, as it wrote them. */
function asPlainBytes(entry: Entry): Entry {
  const plain = (value: Uint8Array) => new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (entry.type === 'normal') return { ...entry, data: plain(entry.data) };
  const { context, ...change } = entry.change;
  return { ...entry, change: context === undefined ? change : { ...change, context: plain(context) } };
}

/**
 * Damaged last records (partial or failing their checksum) are cut and reported as
 * `tailCutAtOpen`, which starts a repair (they may hold acknowledged entries). A bad record
 * followed by a good one, or a forged length anywhere, is corruption.
 */
function tornTailStart(stored: readonly StoredEntry[], context: { dir: string }): number {
  const firstBad = stored.findIndex((entry) => entry.check.kind !== 'ok');
  if (firstBad === -1) return stored.length;
  for (let position = firstBad; position < stored.length; position++) {
    const { index, check } = stored[position]!;
    if (check.kind === 'forged') throw new LogCorruptionError(context.dir, index, check.reason);
    if (check.kind === 'ok') {
      const bad = stored[firstBad]!;
      const reason = bad.check.kind === 'ok' ? '' : bad.check.reason;
      throw new LogCorruptionError(context.dir, bad.index, `${reason}, and good entries follow (up to ${index})`);
    }
  }
  return firstBad;
}

async function cutTornTail(
  db: Database,
  stored: readonly StoredEntry[],
  context: { dir: string; logger: StorageLogger; keptCount: number },
): Promise<{ kept: StoredEntry[]; tailCut: LogTailCut | undefined }> {
  const firstBad = context.keptCount;
  if (firstBad === stored.length) return { kept: [...stored], tailCut: undefined };
  const cut = stored.slice(firstBad);
  const reasons = cut.map(({ check }) => (check.kind === 'ok' ? '' : check.reason));
  await db.batch(
    cut.map(({ index }) => ({ type: 'del' as const, key: entryKey(index) })),
    { sync: true },
  );
  context.logger.warn(
    {
      path: context.dir,
      fromIndex: cut[0]!.index,
      toIndex: cut[cut.length - 1]!.index,
      reasons,
    },
    'cut damaged records from the end of the log',
  );
  return { kept: stored.slice(0, firstBad), tailCut: { fromIndex: cut[0]!.index, toIndex: cut[cut.length - 1]!.index, reasons } };
}

/**
 * The hard state is written in the same synced batch as the entries it commits, so every entry
 * at or below the commit index was durable once. If a torn-tail cut reaches below it, synced data
 * was lost: this member may have been counted in the quorum that committed those entries, so
 * serving on (even with a lowered commit index) could lose an acknowledged write. Refuse to start;
 * the operator replaces the member through membership (docs/operations.md).
 */
function assertCommitWithinLog(
  hardState: HardState | undefined,
  context: { lastIndex: number; dir: string; logger: StorageLogger; cut: boolean },
): HardState | undefined {
  if (hardState === undefined || hardState.commit <= context.lastIndex) return hardState;
  const reason = context.cut
    ? `committed entries up to ${hardState.commit} were unreadable and cut; the log now ends at ${context.lastIndex}`
    : `hard state commits ${hardState.commit} but the log ends at ${context.lastIndex}`;
  throw new LogCommitBeyondEndError(context.dir, hardState.commit, context.lastIndex, reason);
}
