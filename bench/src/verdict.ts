import { type CheckResult, checkHistory } from '@holdfast/checker';
import { type BenchHistory, type BenchOperation, isAcknowledgedWrite, writtenValue } from './history.js';
import { type KvAdapter, type KvValue, sleep } from './target.js';

export interface LostWrite {
  key: string;
  /** missing: key absent; stale: an older value survived; version-short: fewer writes applied than acknowledged. */
  kind: 'missing' | 'stale' | 'unexpected-value' | 'version-short';
  acknowledgedWrites: number;
  detail: string;
}

export interface DuplicateWrite {
  key: string;
  version: number;
  acknowledgedWrites: number;
  unknownWrites: number;
}

export interface ReadBackResult {
  keysRead: number;
  keysUnreadable: string[];
  lostWrites: LostWrite[];
  /** Count of acknowledged writes judged lost (a key may lose several). */
  lostWriteCount: number;
  duplicates: DuplicateWrite[];
}

interface KeyWrites {
  acknowledged: BenchOperation[];
  unknown: BenchOperation[];
  all: BenchOperation[];
  hasDelete: boolean;
}

function writesByKey(operations: readonly BenchOperation[]): Map<string, KeyWrites> {
  const byKey = new Map<string, KeyWrites>();
  for (const operation of operations) {
    if (operation.input.kind === 'get' || operation.outcome === 'failed') continue;
    let writes = byKey.get(operation.key);
    if (writes === undefined) {
      writes = { acknowledged: [], unknown: [], all: [], hasDelete: false };
      byKey.set(operation.key, writes);
    }
    if (operation.input.kind === 'delete') writes.hasDelete = true;
    if (isAcknowledgedWrite(operation)) writes.acknowledged.push(operation);
    else if (operation.outcome === 'unknown') writes.unknown.push(operation);
    if (operation.outcome === 'unknown' || isAcknowledgedWrite(operation)) writes.all.push(operation);
  }
  return byKey;
}

/**
 * After the cluster healed, read every written key back (linearizable reads, appended to the history
 * so the checker judges them too) and account for every acknowledged write:
 * - the final value must come from a write that may be the last one (not followed in real time by
 *   an acknowledged write);
 * - the key's version (writes applied since creation) must be at least the acknowledged writes
 *   (else writes were lost) and at most acknowledged + unknown (else a write was applied twice).
 */
export async function readBackAndAccount(options: {
  history: BenchHistory;
  client: KvAdapter;
  readTimeoutMs: number;
}): Promise<ReadBackResult> {
  const { history, client } = options;
  const byKey = writesByKey(history.all());
  const result: ReadBackResult = { keysRead: 0, keysUnreadable: [], lostWrites: [], lostWriteCount: 0, duplicates: [] };
  for (const [key, writes] of byKey) {
    const read = await readWithRetry({ history, client, key, timeoutMs: options.readTimeoutMs });
    if (read === undefined) {
      result.keysUnreadable.push(key);
      continue;
    }
    result.keysRead += 1;
    accountKey({ key, writes, read, result });
  }
  return result;
}

async function readWithRetry(options: {
  history: BenchHistory;
  client: KvAdapter;
  key: string;
  timeoutMs: number;
}): Promise<KvValue | undefined> {
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline) {
    const operation = options.history.invoke({ clientId: 0, key: options.key, input: { kind: 'get' } });
    try {
      const value = await options.client.get(options.key);
      options.history.complete(operation, { outcome: 'ok', output: { kind: 'get', value: value.value } });
      return value;
    } catch (error) {
      options.history.complete(operation, { outcome: 'failed', error: String(error) });
      await sleep(200);
    }
  }
  return undefined;
}

export function accountKey(options: { key: string; writes: KeyWrites; read: KvValue; result: ReadBackResult }): void {
  const { key, writes, read, result } = options;
  const acknowledged = writes.acknowledged.length;
  if (writes.hasDelete) return; // versions restart after a delete; the checker judges these keys
  const candidates = writes.all.filter((w) => !writes.acknowledged.some((a) => a.invokedAt > w.returnedAt));
  const candidateValues = new Set(candidates.map((w) => writtenValue(w)));
  if (read.value === null) {
    if (acknowledged > 0) {
      result.lostWrites.push({ key, kind: 'missing', acknowledgedWrites: acknowledged, detail: 'key absent after the run' });
      result.lostWriteCount += acknowledged;
    }
    return;
  }
  if (!candidateValues.has(read.value)) {
    const source = writes.all.find((w) => writtenValue(w) === read.value);
    if (source === undefined) {
      result.lostWrites.push({
        key,
        kind: 'unexpected-value',
        acknowledgedWrites: acknowledged,
        detail: `final value ${JSON.stringify(read.value.slice(0, 40))} was never written`,
      });
      result.lostWriteCount += 1;
    } else {
      const overwritten = writes.acknowledged.filter((a) => a.invokedAt > source.returnedAt);
      result.lostWrites.push({
        key,
        kind: 'stale',
        acknowledgedWrites: acknowledged,
        detail: `final value is from op ${source.id}; ${overwritten.length} later acknowledged write(s) missing (first: op ${overwritten[0]?.id})`,
      });
      result.lostWriteCount += overwritten.length;
    }
    return;
  }
  if (read.version < acknowledged) {
    result.lostWrites.push({
      key,
      kind: 'version-short',
      acknowledgedWrites: acknowledged,
      detail: `version ${read.version} < ${acknowledged} acknowledged writes`,
    });
    result.lostWriteCount += acknowledged - read.version;
  }
  if (read.version > acknowledged + writes.unknown.length) {
    result.duplicates.push({ key, version: read.version, acknowledgedWrites: acknowledged, unknownWrites: writes.unknown.length });
  }
}

/**
 * Test-only: insert a read that returns a value already overwritten by a later acknowledged write,
 * after every other operation of its key. No linearizable store could answer that, so a sound
 * verdict must fail. Returns the planted operation, or undefined if no key had two such writes.
 */
export function plantStaleRead(history: BenchHistory): BenchOperation | undefined {
  const byKey = writesByKey(history.all());
  let endMs = 0;
  for (const operation of history.all()) {
    endMs = Math.max(endMs, operation.invokedAt, Number.isFinite(operation.returnedAt) ? operation.returnedAt : 0);
  }
  for (const [key, writes] of byKey) {
    const old = writes.acknowledged.find((w) => writes.acknowledged.some((later) => later.invokedAt > w.returnedAt));
    const value = old === undefined ? undefined : writtenValue(old);
    if (old === undefined || value === undefined) continue;
    return history.append({
      clientId: -1,
      key,
      input: { kind: 'get' },
      outcome: 'ok',
      output: { kind: 'get', value },
      invokedAt: endMs + 1,
      returnedAt: endMs + 2,
      completedAt: endMs + 2,
      planted: true,
    });
  }
  return undefined;
}

export interface LinearizabilityVerdict {
  judged: boolean;
  /** Why it was not judged, when it was not. */
  reason?: string;
  result?: CheckResult;
}

export function judgeLinearizability(options: {
  operations: readonly BenchOperation[];
  timeBudgetMsPerKey: number;
}): LinearizabilityVerdict {
  // Serializable and bounded reads may be stale by design: the first are only timed, the second
  // checked against their bound (staleness-check.ts).
  const history = options.operations
    .filter((op) => op.consistency === undefined)
    .map((op) => {
      const {
        completedAt: _completedAt,
        error: _error,
        planted: _planted,
        servedBy: _servedBy,
        clientRegion: _region,
        consistency: _consistency,
        maxStalenessMs: _maxStalenessMs,
        attempts: _attempts,
        ...plain
      } = op;
      return plain;
    });
  const result = checkHistory(history, { timeBudgetMsPerKey: options.timeBudgetMsPerKey });
  return { judged: true, result };
}
