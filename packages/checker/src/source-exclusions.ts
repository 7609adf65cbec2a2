import { describeValue } from './describe.js';
import type { KeyFacts, Pin, Shown, Source } from './key-facts.js';
import { PrefixBest } from './prefix-best.js';
import type { HistoryOperation } from './types.js';

/** Candidate sources looked at when excluding late ones; more and the rule gives up (bounded work). */
const LATE_SOURCES_SCANNED_MAX = 16;
/** Late sources a rule may exclude one by one: each adds operations to the explanation. */
const LATE_SOURCES_EXCLUDED_MAX = 2;
/** Cas whose expected value must come from another cas, followed this many levels deep. */
const CAS_CHAIN_DEPTH_MAX = 3;
/** Earlier reads tried when showing a source was used up before a pin. */
const EARLIER_READS_TRIED_MAX = 8;

export interface Exclusion {
  /** The sources that returned late enough to follow the pin, each ruled out. */
  late: Source[];
  operations: HistoryOperation[];
  sentence: string;
  /** The latest source that returned before the pin's state began, if any. */
  latestBefore: Source | undefined;
}

/**
 * Rules out sources of a read's value that returned late enough to follow a pin, when they still
 * cannot follow it: a cas whose expected value nothing wrote after the pin's state began (it could
 * not swap there), or a write that an earlier read, finished before the pin began, must have read
 * because it was that read's only possible source (every other one was overwritten by an
 * acknowledged write before the read began).
 */
export class SourceExclusions {
  private readonly sourcesByReturnDescending = new Map<string | null, Source[]>();
  /** Per value: sources by invocation, scored by when an acknowledged write of another value surely replaced them. */
  private readonly replacedAtByValue: Map<string | null, PrefixBest<Source>>;
  private readonly sourceKeys = new Map<Source, string>();

  constructor(private readonly facts: KeyFacts) {
    for (const [value, sources] of facts.sourcesByValue) {
      this.sourcesByReturnDescending.set(value, [...sources].sort((a, b) => b.returnedAt - a.returnedAt));
    }
    this.replacedAtByValue = new Map();
    for (const [value, sources] of facts.sourcesByValue) {
      const ranked = sources.map((source, index) => {
        this.sourceKeys.set(source, String(index));
        return { order: source.invokedAt, score: facts.replacedAt.get(source)!, value: String(index), item: source };
      });
      this.replacedAtByValue.set(value, new PrefixBest(ranked));
    }
  }

  excludeLateSources(read: Shown, pin: Pin): Exclusion | undefined {
    const late: Source[] = [];
    let latestBefore: Source | undefined;
    const sources = this.sourcesByReturnDescending.get(read.value) ?? [];
    for (let i = 0; i < sources.length; i += 1) {
      const source = sources[i]!;
      // A cas that swapped from a value to itself is a source of it, but not of its own read.
      if (source.operation === read.operation) continue;
      if (source.returnedAt < pin.beganAt) {
        latestBefore ??= source.invokedAt <= read.operation.returnedAt ? source : undefined;
        if (latestBefore !== undefined) break;
        continue;
      }
      if (i >= LATE_SOURCES_SCANNED_MAX) return undefined;
      if (source.invokedAt > read.operation.returnedAt) continue;
      late.push(source);
      if (late.length > LATE_SOURCES_EXCLUDED_MAX) return undefined;
    }
    const operations: HistoryOperation[] = [];
    const reasons: string[] = [];
    for (const source of late) {
      const reason = this.casCannotSwap(source, read, pin) ?? this.usedUpBefore(source, read.value, pin);
      if (reason === undefined) return undefined;
      operations.push(...reason.operations);
      reasons.push(reason.sentence);
    }
    return { late, operations, sentence: reasons.join(', and '), latestBefore };
  }

  private casCannotSwap(source: Source, read: Shown, pin: Pin): { operations: HistoryOperation[]; sentence: string } | undefined {
    const cas = source.operation;
    if (cas?.input.kind !== 'cas') return undefined;
    if (this.mayFollowPin(source, pin, read.operation.returnedAt, new Set([source]))) return undefined;
    const expected = describeValue(cas.input.expected);
    return {
      operations: [cas],
      sentence: `op ${cas.id} is a cas expecting ${expected}, and nothing could write ${expected} after that state began`,
    };
  }

  /**
   * May `source` take effect after the pin's state and before `bound`? A put or delete may if its
   * interval allows; a cas also needs the key to hold its expected value just before it, so,
   * unless the pin's state may be that value, another source of it must itself fit between.
   * Searched a few levels deep and a few sources wide; beyond that the answer is "may".
   */
  private mayFollowPin(source: Source, pin: Pin, bound: number, visiting: Set<Source>): boolean {
    if (source.returnedAt < pin.beganAt || source.invokedAt > bound) return false;
    const cas = source.operation;
    if (cas?.input.kind !== 'cas') return true;
    const expected = cas.input.expected;
    const pinMayHold = pin.shown.how === 'missed' ? expected !== pin.shown.value : expected === pin.shown.value;
    if (pinMayHold || visiting.size > CAS_CHAIN_DEPTH_MAX) return true;
    const sources = this.sourcesByReturnDescending.get(expected) ?? [];
    const innerBound = Math.min(bound, source.returnedAt);
    for (let i = 0; i < sources.length; i += 1) {
      const candidate = sources[i]!;
      if (candidate.returnedAt < pin.beganAt) return false;
      if (i >= LATE_SOURCES_SCANNED_MAX) return true;
      if (visiting.has(candidate)) continue;
      visiting.add(candidate);
      const may = this.mayFollowPin(candidate, pin, innerBound, visiting);
      visiting.delete(candidate);
      if (may) return true;
    }
    return false;
  }

  private usedUpBefore(source: Source, value: string | null, pin: Pin): { operations: HistoryOperation[]; sentence: string } | undefined {
    if (source.operation === null) return undefined;
    const reads = this.facts.readsByValue.get(value) ?? [];
    const pinInvokedAt = pin.shown.operation.invokedAt;
    let tried = 0;
    for (let i = lastIndexBefore(reads, pinInvokedAt); i >= 0 && tried < EARLIER_READS_TRIED_MAX; i -= 1) {
      const earlier = reads[i]!;
      tried += 1;
      if (source.invokedAt > earlier.returnedAt || this.facts.replacedAt.get(source)! < earlier.invokedAt) continue;
      const others = this.replacedAtByValue.get(value)?.query(earlier.returnedAt, true, this.sourceKeys.get(source)!);
      if (others !== undefined && others.score >= earlier.invokedAt) continue;
      return {
        operations: [source.operation, earlier],
        sentence:
          `op ${source.operation.id} was the only write op ${earlier.id} could have read, and op ${earlier.id} ` +
          `returned before op ${pin.shown.operation.id} began`,
      };
    }
    return undefined;
  }
}

/** Index of the last read (sorted by return) that returned before `time`, or -1. */
function lastIndexBefore(reads: readonly HistoryOperation[], time: number): number {
  let low = 0;
  let high = reads.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (reads[middle]!.returnedAt < time) low = middle + 1;
    else high = middle;
  }
  return low - 1;
}
