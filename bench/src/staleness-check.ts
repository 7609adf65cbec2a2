/**
 * Bounded-staleness reads (`maxStalenessMs`): any member may answer from its own state, which
 * must hold every write committed more than the bound before the read. They are kept out of the
 * linearizability check and judged here instead, against what the history proves:
 *
 * a read of key k invoked at time t that returned v is too stale when some write of k was
 * acknowledged before t - bound and was invoked after every write that could have produced v
 * had come back (so it surely came after v in the key's order); a value no write could have
 * produced is wrong outright. A write whose outcome is unknown may take effect at any time after
 * it was invoked (as the linearizability checker assumes), so a value it may have produced is
 * never judged stale, and it is never proof of a newer value. The check finds no false stale
 * read; it may miss one whose newer write overlapped the write of v in time.
 */
import { type BenchOperation, isAcknowledgedWrite, writtenValue } from './history.js';

export interface StalenessViolation {
  readId: number;
  key: string;
  value: string | null;
  detail: string;
}

export interface StalenessVerdict {
  /** Bounded-staleness reads that came back with a value. */
  readsChecked: number;
  boundMs: number | undefined;
  violations: StalenessViolation[];
}

interface KeyWrite {
  value: string | null;
  invokedAt: number;
  completedAt: number;
  acknowledged: boolean;
}

/** Writes that may have taken effect, by key: acknowledged ones and those of unknown outcome. */
function writesByKey(operations: readonly BenchOperation[]): Map<string, KeyWrite[]> {
  const byKey = new Map<string, KeyWrite[]>();
  for (const op of operations) {
    if (op.input.kind === 'get') continue;
    const acknowledged = isAcknowledgedWrite(op);
    if (!acknowledged && op.outcome !== 'unknown') continue;
    // A compare-and-swap that answered "not swapped" wrote nothing.
    if (op.outcome === 'ok' && op.output?.kind === 'cas' && !op.output.swapped) continue;
    const list = byKey.get(op.key) ?? [];
    list.push({ value: writtenValue(op) ?? null, invokedAt: op.invokedAt, completedAt: op.completedAt, acknowledged });
    byKey.set(op.key, list);
  }
  return byKey;
}

export function checkBoundedStaleness(operations: readonly BenchOperation[]): StalenessVerdict {
  const writes = writesByKey(operations);
  const violations: StalenessViolation[] = [];
  let readsChecked = 0;
  let boundMs: number | undefined;
  for (const read of operations) {
    if (read.consistency !== 'bounded' || read.outcome !== 'ok' || read.output?.kind !== 'get') continue;
    const bound = read.maxStalenessMs ?? 0;
    boundMs = bound;
    readsChecked += 1;
    const value = read.output.value;
    const keyWrites = writes.get(read.key) ?? [];
    // Every write that could have produced the value (the key starts absent: null needs none).
    const sources = keyWrites.filter((w) => w.value === value && w.invokedAt <= read.completedAt);
    if (value !== null && sources.length === 0) {
      violations.push({ readId: read.id, key: read.key, value, detail: `no write of ${read.key} could have produced ${JSON.stringify(value)}` });
      continue;
    }
    // The value was surely overwritten once every source had taken effect and a later write was
    // acknowledged; a source of unknown outcome may take effect at any later time.
    const sourcesBackAt = sources.reduce((latest, w) => Math.max(latest, w.acknowledged ? w.completedAt : Number.POSITIVE_INFINITY), Number.NEGATIVE_INFINITY);
    const newer = keyWrites.find(
      (w) => w.acknowledged && w.value !== value && w.invokedAt > sourcesBackAt && w.completedAt < read.invokedAt - bound,
    );
    if (newer !== undefined) {
      const agoMs = Math.round(read.invokedAt - newer.completedAt);
      violations.push({
        readId: read.id,
        key: read.key,
        value,
        detail: `read ${read.id} of ${read.key} returned ${JSON.stringify(value)}, but ${JSON.stringify(newer.value)} was acknowledged ${agoMs} ms before the read, beyond its ${bound} ms bound`,
      });
    }
  }
  return { readsChecked, boundMs, violations };
}
