/**
 * Reading and writing the key history (layout in history.ts) for KvStateMachine: the records a
 * command's changes add, reads at a past revision, the changes since a revision (for watches),
 * and the steps that drop what a compaction made unreadable.
 */
import { keyId } from './command.js';
import type { Database } from './disk.js';
import { assert, StateCorruptionError } from './errors.js';
import type { KeySpan } from './executor.js';
import {
  changeKeyPrefix,
  changeRangeBounds,
  changeRecordKey,
  decodeHistoryChange,
  encodeHistoryChange,
  type HistoryChange,
  isTombstone,
  parseVersionRecordKey,
  revisionOfChangeKey,
  tombstoneAt,
  versionKeyPrefix,
  versionRangeBounds,
  versionRecordKey,
} from './history.js';
import { packr, prefixedKey, type StoredValue, toKeyValue, userKeyOf, userKeyPrefix } from './kv-format.js';
import type { BatchOperation } from './level-batch.js';
import type { KeyValue } from './results.js';
import { describeStoredKey, openRecord, type RecordSeal, sealOf, sealRecord } from './state-record.js';

type Snapshot = ReturnType<Database['snapshot']>;

/** One write of a command, as the write set recorded it (executor.ts PendingWrite). */
export interface HistoryWrite {
  readonly key: Uint8Array;
  readonly stored: StoredValue | undefined;
  readonly previousModRevision: number;
  readonly previous: StoredValue | undefined | 'stored';
}

/**
 * The sealed records that keep one command's changes at `revision`: per key its 'h' record and
 * its new version ('v'; a tombstone for a delete), and, for a key last written before the
 * history began, the version it replaces (which had no 'v' record yet). A key written twice by
 * the command keeps its last write. `readStored` reads a key's record as LevelDB holds it
 * before the batch (a replaced version the batch saw only the meta of).
 */
export function historyRecordsOf(
  writes: readonly HistoryWrite[],
  context: { revision: number; historyStartRevision: number; readStored: (key: Uint8Array) => StoredValue | undefined },
): { operations: BatchOperation[]; seals: RecordSeal[] } {
  const lastWrite = new Map<string, HistoryWrite>();
  const firstWrite = new Map<string, HistoryWrite>();
  for (const write of writes) {
    // Most commands write one key: its id is not needed to pair its first and last write.
    const id = writes.length === 1 ? '' : keyId(write.key);
    if (!firstWrite.has(id)) firstWrite.set(id, write);
    lastWrite.set(id, write);
  }
  const operations: BatchOperation[] = [];
  const seals: RecordSeal[] = [];
  const put = (key: Uint8Array, payload: Uint8Array): void => {
    const value = sealRecord(key, payload);
    operations.push({ type: 'put', key, value });
    seals.push(sealOf(key, value));
  };
  let changeNumber = 0;
  for (const [id, write] of lastWrite) {
    const first = firstWrite.get(id)!;
    const { revision } = context;
    const change: HistoryChange = { key: write.key, type: write.stored === undefined ? 'delete' : 'put', previousModRevision: first.previousModRevision };
    put(changeRecordKey(revision, changeNumber), encodeHistoryChange(change));
    changeNumber += 1;
    put(versionRecordKey(write.key, revision), packr.pack(write.stored ?? tombstoneAt(revision)));
    if (first.previousModRevision > 0 && first.previousModRevision <= context.historyStartRevision) {
      const previous = first.previous === 'stored' ? context.readStored(write.key) : first.previous;
      assert(previous !== undefined && previous.modRevision === first.previousModRevision, `the version of key ${keyId(write.key)} before the history is not the one its write replaced`);
      put(versionRecordKey(write.key, previous.modRevision), packr.pack(previous));
    }
  }
  return { operations, seals };
}

function openPayload(path: string, storedKey: Uint8Array, bytes: Uint8Array): Uint8Array {
  const opened = openRecord(storedKey, bytes);
  if (!opened.ok) throw new StateCorruptionError(path, opened.reason, { key: describeStoredKey(storedKey) });
  return opened.payload;
}

function decodeVersion(path: string, storedKey: Uint8Array, bytes: Uint8Array): StoredValue {
  const payload = openPayload(path, storedKey, bytes);
  try {
    return packr.unpack(payload) as StoredValue;
  } catch (cause) {
    throw new StateCorruptionError(path, 'a history version does not decode', { cause, key: describeStoredKey(storedKey) });
  }
}

function decodeChange(path: string, storedKey: Uint8Array, bytes: Uint8Array): HistoryChange {
  const payload = openPayload(path, storedKey, bytes);
  try {
    return decodeHistoryChange(payload);
  } catch (cause) {
    throw new StateCorruptionError(path, 'a history change does not decode', { cause, key: describeStoredKey(storedKey) });
  }
}

/** Checks a history record's seal (the scrub); true when `storedKey` is one. */
export function checkHistoryRecord(path: string, storedKey: Uint8Array, bytes: Uint8Array): boolean {
  if (storedKey[0] !== changeKeyPrefix && storedKey[0] !== versionKeyPrefix) return false;
  openPayload(path, storedKey, bytes);
  return true;
}

interface ReadContext {
  readonly db: Database;
  readonly snapshot: Snapshot;
  readonly path: string;
}

/** The key's version at `revision` in the 'v' records (a tombstone: undefined), or 'none' when it has no version at or below it. */
async function versionAt(context: ReadContext, key: Uint8Array, revision: number): Promise<StoredValue | undefined | 'none'> {
  const { db, snapshot, path } = context;
  const entries = await db.iterator({ gte: versionRecordKey(key, 0), lte: versionRecordKey(key, revision), reverse: true, limit: 1, snapshot }).all();
  const found = entries[0];
  if (found === undefined) return 'none';
  const stored = decodeVersion(path, found[0], found[1]);
  return isTombstone(stored) ? undefined : stored;
}

/**
 * The key as it was at `revision` (checked against the history's bounds by the caller): its
 * last version at or below it, or its current record when it has no history there (a key not
 * changed since before the history began).
 */
export async function readKeyAt(context: ReadContext, key: Uint8Array, revision: number): Promise<KeyValue | undefined> {
  const version = await versionAt(context, key, revision);
  if (version !== 'none') return version === undefined ? undefined : toKeyValue(key, version, { keysOnly: false });
  const storedKey = prefixedKey(userKeyPrefix, key);
  const current = await context.db.get(storedKey, { snapshot: context.snapshot });
  if (current === undefined) return undefined;
  const stored = decodeVersion(context.path, storedKey, current);
  return stored.modRevision <= revision ? toKeyValue(key, stored, { keysOnly: false }) : undefined;
}

/** Per key in range, in key order: its last 'v' version at or below `revision` (null: a tombstone). */
async function* versionsAt(context: ReadContext, range: KeySpan & { after?: Uint8Array }, revision: number): AsyncGenerator<{ key: Uint8Array; stored: StoredValue | null }> {
  let key: Uint8Array | undefined;
  let best: StoredValue | null | undefined;
  for await (const [storedKey, bytes] of context.db.iterator({ ...versionRangeBounds(range), snapshot: context.snapshot })) {
    const parsed = parseVersionRecordKey(storedKey);
    if (key === undefined || Buffer.compare(key, parsed.key) !== 0) {
      if (key !== undefined && best !== undefined) yield { key, stored: best };
      key = parsed.key;
      best = undefined;
    }
    if (parsed.revision <= revision) {
      const stored = decodeVersion(context.path, storedKey, bytes);
      best = isTombstone(stored) ? null : stored;
    }
  }
  if (key !== undefined && best !== undefined) yield { key, stored: best };
}

/** The current 'k' records in range, in key order. */
async function* currentRecords(context: ReadContext, bounds: { gt?: Uint8Array; gte?: Uint8Array; lt: Uint8Array }): AsyncGenerator<{ key: Uint8Array; stored: StoredValue }> {
  for await (const [storedKey, bytes] of context.db.iterator({ ...bounds, snapshot: context.snapshot })) {
    yield { key: userKeyOf(storedKey), stored: decodeVersion(context.path, storedKey, bytes) };
  }
}

/**
 * The keys of a range as they were at `revision`, in key order: merges the 'v' records (a key's
 * version at the revision) with the current records (a key without history at the revision is
 * there if its current version is at or below it).
 */
export async function* keysAt(
  context: ReadContext,
  range: { span: KeySpan & { after?: Uint8Array }; currentBounds: { gt?: Uint8Array; gte?: Uint8Array; lt: Uint8Array }; revision: number },
): AsyncGenerator<{ key: Uint8Array; stored: StoredValue }> {
  const versions = versionsAt(context, range.span, range.revision);
  const currents = currentRecords(context, range.currentBounds);
  let version = await versions.next();
  let current = await currents.next();
  try {
    while (!version.done || !current.done) {
      const order = version.done ? 1 : current.done ? -1 : Buffer.compare(version.value.key, current.value.key);
      if (order <= 0) {
        const { key, stored } = version.value!;
        if (stored !== null) yield { key, stored };
        if (order === 0) current = await currents.next();
        version = await versions.next();
      } else {
        const { key, stored } = current.value!;
        if (stored.modRevision <= range.revision) yield { key, stored };
        current = await currents.next();
      }
    }
  } finally {
    await versions.return(undefined);
    await currents.return(undefined);
  }
}

/** One change read back from the history. */
export interface HistoricChange {
  readonly type: 'put' | 'delete';
  readonly kv: KeyValue;
  /** The key before the change, when asked for and not compacted away. */
  readonly prevKv?: KeyValue;
}

/**
 * The changes of revisions [from, through] in order, whole revisions, stopping after the
 * revision at which `changesMax` is reached. Returns them and the last revision they cover.
 */
export async function readChanges(
  context: ReadContext,
  range: { from: number; through: number; changesMax: number; prevKv: boolean },
): Promise<{ changes: HistoricChange[]; throughRevision: number }> {
  const changes: HistoricChange[] = [];
  let lastRevision = range.from - 1;
  for await (const [storedKey, bytes] of context.db.iterator({ ...changeRangeBounds(range.from, range.through), snapshot: context.snapshot })) {
    const revision = revisionOfChangeKey(storedKey);
    if (revision !== lastRevision && changes.length >= range.changesMax) return { changes, throughRevision: lastRevision };
    lastRevision = revision;
    const change = decodeChange(context.path, storedKey, bytes);
    changes.push(await historicChange(context, change, { revision, prevKv: range.prevKv }));
  }
  return { changes, throughRevision: range.through };
}

async function historicChange(context: ReadContext, change: HistoryChange, options: { revision: number; prevKv: boolean }): Promise<HistoricChange> {
  const { revision } = options;
  let kv: KeyValue = { key: change.key, value: new Uint8Array(0), createRevision: 0, modRevision: revision, version: 0 };
  if (change.type === 'put') {
    const storedKey = versionRecordKey(change.key, revision);
    const bytes = await context.db.get(storedKey, { snapshot: context.snapshot });
    assert(bytes !== undefined, `the history has a change of revision ${revision} without its version record`);
    kv = toKeyValue(change.key, decodeVersion(context.path, storedKey, bytes), { keysOnly: false });
  }
  if (!options.prevKv || change.previousModRevision === 0) return { type: change.type, kv };
  const previousKey = versionRecordKey(change.key, change.previousModRevision);
  const previous = await context.db.get(previousKey, { snapshot: context.snapshot });
  if (previous === undefined) return { type: change.type, kv };
  return { type: change.type, kv, prevKv: toKeyValue(change.key, decodeVersion(context.path, previousKey, previous), { keysOnly: false }) };
}

/**
 * One step of dropping what a compaction at `compactRevision` made unreadable, from revision
 * `from` on: for each change at or below it, the version it replaced, and a delete's tombstone;
 * the change records below it. Whole revisions, about `recordsMax` change records. Returns the
 * deletes and the revision through which the drop is done.
 */
export async function compactionStep(
  context: ReadContext,
  range: { from: number; compactRevision: number; recordsMax: number },
): Promise<{ operations: BatchOperation[]; droppedThrough: number; records: number }> {
  const operations: BatchOperation[] = [];
  let records = 0;
  let lastRevision = range.from;
  for await (const [storedKey, bytes] of context.db.iterator({ ...changeRangeBounds(range.from, range.compactRevision), snapshot: context.snapshot })) {
    const revision = revisionOfChangeKey(storedKey);
    if (revision !== lastRevision && records >= range.recordsMax) return { operations, droppedThrough: lastRevision, records };
    lastRevision = revision;
    records += 1;
    const change = decodeChange(context.path, storedKey, bytes);
    if (change.previousModRevision > 0) operations.push({ type: 'del', key: versionRecordKey(change.key, change.previousModRevision) });
    if (change.type === 'delete') operations.push({ type: 'del', key: versionRecordKey(change.key, revision) });
    // The changes of the compacted revision itself stay: a watch may start there.
    if (revision < range.compactRevision) operations.push({ type: 'del', key: storedKey });
  }
  return { operations, droppedThrough: range.compactRevision, records };
}

/** Bytes LevelDB reports for the history records (an estimate from its table files). */
export async function historyBytesApproximately(db: Database): Promise<number> {
  const approximate = (db as unknown as { approximateSize?: (start: Uint8Array, end: Uint8Array) => Promise<number> }).approximateSize;
  if (typeof approximate !== 'function') return 0;
  const changes = await approximate.call(db, Uint8Array.of(changeKeyPrefix), Uint8Array.of(changeKeyPrefix + 1));
  const versions = await approximate.call(db, Uint8Array.of(versionKeyPrefix), Uint8Array.of(versionKeyPrefix + 1));
  return changes + versions;
}
