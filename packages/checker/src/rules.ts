import { describeInput, describeValue } from './describe.js';
import { PrefixBest, prefixBestByValue, type Ranked } from './prefix-best.js';
import type { HistoryOperation, ViolationRule } from './types.js';

/**
 * Named rules: shapes of non-linearizable register histories that can be proved from a few
 * operations without the search. Each rule is a proof (it fires only on histories no order can
 * explain; the property tests hold them to that), and it names the 1-5 operations that make it.
 *
 * Vocabulary. A *source* of value v is an operation that may have written v: an 'ok' put or delete,
 * a cas that swapped or whose outcome is unknown, an unknown put or delete, or the key's initial
 * value (a source that precedes everything). A read of v (a get that returned v, or a cas that
 * swapped expecting v) must be linearized after one of v's sources with no other write between.
 * Real time orders two operations when one returned before the other was invoked.
 */
export interface RuleFinding {
  rule: ViolationRule;
  /** The operations that prove the rule, ordered by invocation time. */
  operations: HistoryOperation[];
  /** One sentence saying what these operations show. */
  sentence: string;
  /** When the last of the operations returned: the earliest finding is reported. */
  provenAt: number;
}

/**
 * Finds the earliest-proven named violation among a key's 'ok' and 'unknown' operations.
 * `initialValues` are the values the key may have held at the start: one, or for a window cut
 * from a longer history, each the key may have held when the window began. Each is a source of
 * its value that precedes everything, so a finding holds whichever it was.
 */
export function findRuleViolation(
  operations: readonly HistoryOperation[],
  initialValues: readonly (string | null)[],
): RuleFinding | undefined {
  const facts = new KeyFacts(operations.filter((operation) => operation.outcome !== 'failed'), initialValues);
  // On a tie the more specific shapes come first: a value with a single source says more.
  const findings = [findDuplicateEffect(facts), findDoubleSwap(facts), findOrderViolation(facts)];
  let earliest: RuleFinding | undefined;
  for (const finding of findings) {
    if (finding !== undefined && (earliest === undefined || finding.provenAt < earliest.provenAt)) earliest = finding;
  }
  return earliest;
}

interface Source {
  value: string | null;
  invokedAt: number;
  /** +Infinity for an unknown operation, -Infinity for the initial value. */
  returnedAt: number;
  /** null for the key's initial value. */
  operation: HistoryOperation | null;
}

/** An 'ok' operation that shows the key held `value` at its linearization point. */
interface Shown {
  value: string | null;
  operation: HistoryOperation;
  /**
   * write: the operation wrote value. read: it observed value (a get, or a cas expecting it).
   * missed: a cas expecting value that did not swap; the key held anything but value.
   */
  how: 'write' | 'read' | 'missed';
}

/** Everything the rules ask about one key, indexed once. */
class KeyFacts {
  readonly sources: Source[] = [];
  readonly sourcesByValue = new Map<string | null, Source[]>();
  /** 'ok' gets and swapped cas, by what they observed. */
  readonly reads: Shown[] = [];
  readonly writes: Shown[] = [];
  /** 'ok' cas that did not swap: the key held anything but their expected value. */
  readonly missedCas: HistoryOperation[] = [];

  /** 'ok' gets and swapped cas by the value they observed, in order of return. */
  readonly readsByValue = new Map<string | null, HistoryOperation[]>();
  readonly initialIsKnown: boolean;
  private readonly sourceByOperation = new Map<HistoryOperation, Source>();

  constructor(operations: readonly HistoryOperation[], initialValues: readonly (string | null)[]) {
    this.initialIsKnown = initialValues.length === 1;
    for (const value of new Set(initialValues)) {
      this.addSource({ value, invokedAt: -Infinity, returnedAt: -Infinity, operation: null });
    }
    for (const operation of operations) this.index(operation);
    for (const sources of this.sourcesByValue.values()) sources.sort((a, b) => a.invokedAt - b.invokedAt);
    for (const read of this.reads) {
      const reads = this.readsByValue.get(read.value) ?? [];
      reads.push(read.operation);
      this.readsByValue.set(read.value, reads);
    }
    for (const reads of this.readsByValue.values()) reads.sort((a, b) => a.returnedAt - b.returnedAt);
    this.replacedAt = this.computeReplacedAt();
  }

  /**
   * When each source was surely replaced: the earliest return of an acknowledged write of another
   * value begun after the source returned. A read invoked after that cannot have read the source.
   */
  readonly replacedAt: Map<Source, number>;

  private computeReplacedAt(): Map<Source, number> {
    const laterWrites = new PrefixBest(
      this.writes.map((write) => ({ order: -write.operation.invokedAt, score: -write.operation.returnedAt, value: write.value, item: write })),
    );
    const replacedAt = new Map<Source, number>();
    for (const source of this.sources) {
      const replacing = laterWrites.query(-source.returnedAt, false, source.value);
      replacedAt.set(source, replacing === undefined ? Number.POSITIVE_INFINITY : -replacing.score);
    }
    return replacedAt;
  }

  sourceOf(operation: HistoryOperation): Source | undefined {
    return this.sourceByOperation.get(operation);
  }

  /** The earliest-invoked source of value, or undefined if nothing ever wrote it. */
  firstSourceOf(value: string | null): Source | undefined {
    return this.sourcesByValue.get(value)?.[0];
  }

  private index(operation: HistoryOperation): void {
    const { input, output } = operation;
    const definite = operation.outcome === 'ok';
    if (input.kind === 'get') {
      if (definite && output?.kind === 'get') this.reads.push({ value: output.value, operation, how: 'read' });
      return;
    }
    if (input.kind === 'cas' && definite && output?.kind === 'cas') {
      if (!output.swapped) {
        this.missedCas.push(operation);
        return;
      }
      this.reads.push({ value: input.expected, operation, how: 'read' });
    }
    const value = input.kind === 'delete' ? null : input.value;
    const returnedAt = definite ? operation.returnedAt : Number.POSITIVE_INFINITY;
    const source: Source = { value, invokedAt: operation.invokedAt, returnedAt, operation };
    this.addSource(source);
    this.sourceByOperation.set(operation, source);
    if (definite) this.writes.push({ value, operation, how: 'write' });
  }

  private addSource(source: Source): void {
    this.sources.push(source);
    const sources = this.sourcesByValue.get(source.value) ?? [];
    sources.push(source);
    this.sourcesByValue.set(source.value, sources);
  }
}

/**
 * The order rules. An operation B that needs the key to hold some value from a set of sources Z
 * (a read of u needs a source of u; a cas that missed on e needs a source of anything but e) comes
 * after an operation A in real time that pins a later state: A wrote v, or A read v and every
 * source of v it could have read began at some time t. B's source must then come after A's, so
 * if every source in Z that could precede B returned before A's source began, no order exists.
 * That one argument gives a stale read (A wrote, B read an older value), a lost write (the same,
 * and A's value was never seen), a non-monotonic read (A and B both read) and a missed cas; with
 * no candidate source at all, a read of a value from nowhere or from the future.
 */
function findOrderViolation(facts: KeyFacts): RuleFinding | undefined {
  const pins = new PinIndex(facts);
  const exclusions = new SourceExclusions(facts);
  const sourcesByValue = prefixBestByValue(facts.sources.map(rankSourceByInvocation));
  const allSources = new PrefixBest(facts.sources.map(rankSourceByInvocation));
  const needs = [
    ...facts.reads.map((read) => ({ operation: read.operation, read })),
    ...facts.missedCas.map((operation) => ({ operation, read: undefined })),
  ].sort((a, b) => a.operation.returnedAt - b.operation.returnedAt);
  for (const { operation, read } of needs) {
    const finding =
      read !== undefined
        ? explainRead(facts, pins, exclusions, read, sourcesByValue.get(read.value)?.query(operation.returnedAt, true))
        : explainMissedCas(facts, pins, operation, allSources);
    if (finding !== undefined) return finding;
  }
  return undefined;
}

/** Sources ordered by invocation, scored by return: "the latest return among those begun by t". */
function rankSourceByInvocation(source: Source): Ranked<Source> {
  return { order: source.invokedAt, score: source.returnedAt, value: source.value, item: source };
}

/**
 * An operation that pins a state: the key held `shown.value` at its linearization point. The next
 * write of another value must come after both that point and the write it read, so it must not
 * have returned before `beganAt`: the operation's own invocation, or for a read, if later, the
 * invocation of the first write of the value it read.
 */
interface Pin {
  shown: Shown;
  beganAt: number;
  /** For a read pin: the latest-begun write it may have read (null: the initial value). */
  source: Source | null;
  /** For a read pin whose beganAt is the first write of its value: that write. */
  firstSource: Source | null;
}

class PinIndex {
  private readonly writes: PrefixBest<Pin>;
  private readonly reads: PrefixBest<Pin>;
  private readonly writesByValue: Map<string | null, PrefixBest<Pin>>;
  private readonly readsByValue: Map<string | null, PrefixBest<Pin>>;
  /** Cas that did not swap, by the value the key did not hold. */
  private readonly missedByValue: Map<string | null, PrefixBest<Pin>>;

  constructor(facts: KeyFacts) {
    const writes = facts.writes.map((shown) =>
      rankPin({ shown, beganAt: shown.operation.invokedAt, source: null, firstSource: null }),
    );
    const latestBegunByValue = prefixBestByValue(
      facts.sources.map((source) => ({ order: source.invokedAt, score: source.invokedAt, value: source.value, item: source })),
    );
    const reads: Ranked<Pin>[] = [];
    for (const shown of facts.reads) {
      const reader = shown.operation;
      const first = facts.firstSourceOf(shown.value);
      // A read with no source begun before it returned is caught as such; it pins nothing.
      if (first === undefined || first.invokedAt > reader.returnedAt) continue;
      const source = latestBegunByValue.get(shown.value)?.query(reader.returnedAt, true)?.item ?? null;
      const firstBeganLater = first.invokedAt > reader.invokedAt;
      const beganAt = firstBeganLater ? first.invokedAt : reader.invokedAt;
      reads.push(rankPin({ shown, beganAt, source, firstSource: firstBeganLater ? first : null }));
    }
    this.writes = new PrefixBest(writes);
    this.reads = new PrefixBest(reads);
    this.writesByValue = prefixBestByValue(writes);
    this.readsByValue = prefixBestByValue(reads);
    this.missedByValue = prefixBestByValue(
      facts.missedCas.map((operation) => {
        const expected = operation.input.kind === 'cas' ? operation.input.expected : null;
        const shown: Shown = { value: expected, operation, how: 'missed' };
        return rankPin({ shown, beganAt: operation.invokedAt, source: null, firstSource: null });
      }),
    );
  }

  /** The cas returned before `before` that found the key not holding `value`, latest-beginning first. */
  latestMissing(before: number, value: string | null): Ranked<Pin> | undefined {
    return this.missedByValue.get(value)?.query(before, false);
  }

  /** The pin returned before `before` showing a value other than `excluded`, latest-beginning first. */
  latestOtherThan(before: number, excluded: string | null): Ranked<Pin> | undefined {
    return preferWrite(this.writes.query(before, false, excluded), this.reads.query(before, false, excluded));
  }

  /** The pin returned before `before` showing `value`, latest-beginning first. */
  latestOf(before: number, value: string | null): Ranked<Pin> | undefined {
    const write = this.writesByValue.get(value)?.query(before, false);
    return preferWrite(write, this.readsByValue.get(value)?.query(before, false));
  }
}

function rankPin(pin: Pin): Ranked<Pin> {
  return { order: pin.shown.operation.returnedAt, score: pin.beganAt, value: pin.shown.value, item: pin };
}

/** When the state a pin shows began, in words. */
function pinStart(pin: Pin): string {
  if (pin.firstSource?.operation != null) {
    return `the first write of ${describeValue(pin.shown.value)} (op ${pin.firstSource.operation.id}) began at ${pin.beganAt}`;
  }
  return `op ${pin.shown.operation.id} began at ${pin.beganAt}`;
}

/** A write pin makes the shorter, plainer proof; a read pin is used when it pins a later state. */
function preferWrite(write: Ranked<Pin> | undefined, read: Ranked<Pin> | undefined): Ranked<Pin> | undefined {
  if (write === undefined) return read;
  if (read === undefined || read.score <= write.score) return write;
  return read;
}

function explainRead(
  facts: KeyFacts,
  pins: PinIndex,
  exclusions: SourceExclusions,
  read: Shown,
  latestSource: Ranked<Source> | undefined,
): RuleFinding | undefined {
  const reader = read.operation;
  if (latestSource === undefined) return explainReadWithoutSource(facts, read);
  const holding = pins.latestOtherThan(reader.invokedAt, read.value);
  const missing = pins.latestMissing(reader.invokedAt, read.value);
  const pin = missing !== undefined && (holding === undefined || missing.score > holding.score) ? missing : holding;
  if (pin === undefined) return undefined;
  if (pin.score > latestSource.score) return explainPinnedRead(facts, read, pin.item, latestSource.item);
  const excluded = exclusions.excludeLateSources(read, pin.item);
  if (excluded === undefined) return undefined;
  const pinned = explainPinnedRead(facts, read, pin.item, excluded.latestBefore, excluded.late);
  // The earlier writes are left out of the operations: with them, the writes that replaced them
  // (which rule them out as the earlier read's source) would be needed too.
  const witnesses = pinned.operations.filter((operation) => operation !== excluded.latestBefore?.operation);
  return finding(pinned.rule, [...witnesses, ...excluded.operations], `${pinned.sentence}, and ${excluded.sentence}`);
}

/** Candidate sources looked at when excluding late ones; more and the rule gives up (bounded work). */
const LATE_SOURCES_SCANNED_MAX = 16;
/** Late sources a rule may exclude one by one: each adds operations to the explanation. */
const LATE_SOURCES_EXCLUDED_MAX = 2;
/** Cas whose expected value must come from another cas, followed this many levels deep. */
const CAS_CHAIN_DEPTH_MAX = 3;
/** Earlier reads tried when showing a source was used up before a pin. */
const EARLIER_READS_TRIED_MAX = 8;

interface Exclusion {
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
class SourceExclusions {
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

function explainReadWithoutSource(facts: KeyFacts, read: Shown): RuleFinding {
  const reader = read.operation;
  const first = facts.firstSourceOf(read.value);
  if (first?.operation == null) {
    return finding('value-from-nowhere', [reader], `${observed(read)}, a value no operation wrote and not the key's initial value`);
  }
  return finding(
    'future-read',
    [reader, first.operation],
    `${observed(read)}, but the first write of it (op ${first.operation.id}) began only at ${first.invokedAt}`,
  );
}

function explainPinnedRead(
  facts: KeyFacts,
  read: Shown,
  pin: Pin,
  latest: Source | undefined,
  excluded: readonly Source[] = [],
): RuleFinding {
  const reader = read.operation;
  const ids = excluded.map((source) => `op ${source.operation?.id}`);
  const everyWrite = `every write of ${describeValue(read.value)}${ids.length === 0 ? '' : ` but ${ids.join(' and ')}`}`;
  const pinned = pin.shown.operation;
  const older = describeLatestSource(facts, latest);
  const witnesses = [latest?.operation ?? null, pin.firstSource?.operation ?? null, pin.source?.operation ?? null, pinned, reader];
  const rule = reader.input.kind === 'cas' ? 'cas-anomaly' : 'stale-read';
  if (pin.shown.how === 'missed') {
    return finding(
      rule,
      witnesses,
      `${observed(read)} though it began at ${reader.invokedAt}, after op ${pinned.id} found the key not holding it ` +
        `(a cas expecting it that did not swap, returned at ${pinned.returnedAt}), and ${everyWrite} returned before ` +
        `op ${pinned.id} began (${older})`,
    );
  }
  if (pin.shown.how === 'read') {
    return finding(
      rule,
      witnesses,
      `${observed(read)} though it began at ${reader.invokedAt}, after op ${pinned.id} had read ` +
        `${describeValue(pin.shown.value)} (returned at ${pinned.returnedAt}), and ${everyWrite} returned before ` +
        `${pinStart(pin)} (${older})`,
    );
  }
  const before = `${everyWrite} returned before op ${pinned.id} began (${older})`;
  if (!isEverObservedAfter(facts, pin.shown)) {
    return finding(
      'lost-write',
      witnesses,
      `${describeInput(pinned.input)} (op ${pinned.id}) was acknowledged at ${pinned.returnedAt} but never seen: ` +
        `op ${reader.id}, begun at ${reader.invokedAt}, ${verbOf(read)} ${describeValue(read.value)} instead, and ${before}`,
    );
  }
  return finding(
    rule,
    witnesses,
    `${observed(read)} though it began at ${reader.invokedAt}, after ${describeInput(pinned.input)} (op ${pinned.id}) ` +
      `returned at ${pinned.returnedAt}, and ${before}`,
  );
}

/**
 * A cas that missed on e needs a source of another value after the latest state showing e. With
 * no such source begun before it returned (the initial value was e and nothing else was written
 * yet), or all of them returned before that state began, no order explains the miss.
 */
function explainMissedCas(
  facts: KeyFacts,
  pins: PinIndex,
  cas: HistoryOperation,
  allSources: PrefixBest<Source>,
): RuleFinding | undefined {
  if (cas.input.kind !== 'cas') return undefined;
  const expected = cas.input.expected;
  const latestOther = allSources.query(cas.returnedAt, true, expected);
  const missed = `${describeInput(cas.input)} (op ${cas.id}) did not swap`;
  if (latestOther === undefined) {
    return finding(
      'cas-anomaly',
      [cas],
      `${missed}, yet the key held ${describeValue(expected)} from the start and no other value was written before it returned`,
    );
  }
  const pin = pins.latestOf(cas.invokedAt, expected);
  if (pin === undefined || pin.score <= latestOther.score) return undefined;
  const pinned = pin.item.shown.operation;
  const other = latestOther.item.operation;
  const otherText = describeLatestSource(facts, latestOther.item);
  const shown = pin.item.shown.how === 'write' ? 'wrote' : 'read';
  const witnesses = [other, pin.item.firstSource?.operation ?? null, pin.item.source?.operation ?? null, pinned, cas];
  const sentence =
    `${missed}, though it began at ${cas.invokedAt} after op ${pinned.id} ${shown} ${describeValue(expected)} ` +
    `(returned at ${pinned.returnedAt}), and every write of another value returned before ${pinStart(pin.item)} ` +
    `(${otherText})`;
  if (pin.item.shown.how === 'write' && !isEverObservedAfter(facts, pin.item.shown)) {
    return finding('lost-write', witnesses, sentence);
  }
  return finding('cas-anomaly', witnesses, sentence);
}

function describeLatestSource(facts: KeyFacts, latest: Source | undefined): string {
  if (latest === undefined) return 'none did';
  if (latest.operation !== null) return `the latest, op ${latest.operation.id}, returned at ${latest.returnedAt}`;
  return facts.initialIsKnown ? 'it was the initial value' : 'the key may have held it when this window began';
}

/**
 * Could any read have read `write`'s value from it? Only one that may come after it and began
 * before it was surely replaced.
 */
function isEverObservedAfter(facts: KeyFacts, write: Shown): boolean {
  const source = facts.sourceOf(write.operation);
  const replacedAt = source === undefined ? Number.POSITIVE_INFINITY : facts.replacedAt.get(source)!;
  return (facts.readsByValue.get(write.value) ?? []).some(
    (read) => read !== write.operation && read.returnedAt >= write.operation.invokedAt && read.invokedAt <= replacedAt,
  );
}

/**
 * A value with a single source that is seen, then replaced, then seen again: after the
 * replacement only another write of it could bring it back, and there is none. Either that write
 * took effect twice or the last read saw an old state. Real time alone does not show which came
 * first here (else an order rule would have fired).
 */
function findDuplicateEffect(facts: KeyFacts): RuleFinding | undefined {
  const shownAll = [...facts.reads, ...facts.writes];
  const replacements = new PrefixBest(
    shownAll.map((shown) => ({ order: -shown.operation.invokedAt, score: -shown.operation.returnedAt, value: shown.value, item: shown })),
  );
  const missedByExpected = new Map<string | null, HistoryOperation[]>();
  for (const cas of facts.missedCas) {
    if (cas.input.kind !== 'cas') continue;
    const list = missedByExpected.get(cas.input.expected) ?? [];
    list.push(cas);
    missedByExpected.set(cas.input.expected, list);
  }
  let earliest: RuleFinding | undefined;
  for (const [value, sources] of facts.sourcesByValue) {
    if (sources.length !== 1) continue;
    const found = findReappearance(facts, value, sources[0]!, replacements, missedByExpected.get(value) ?? []);
    if (found !== undefined && (earliest === undefined || found.provenAt < earliest.provenAt)) earliest = found;
  }
  return earliest;
}

function findReappearance(
  facts: KeyFacts,
  value: string | null,
  source: Source,
  replacements: PrefixBest<Shown>,
  missedOnValue: readonly HistoryOperation[],
): RuleFinding | undefined {
  const seen = facts.readsByValue.get(value) ?? [];
  if (seen.length === 0) return undefined;
  // Only a read counts as seen: with the write itself as the first sighting, an order rule (a plain
  // stale read) already says it.
  const firstSeen = seen.reduce((a, b) => (a.returnedAt <= b.returnedAt ? a : b));
  const lastSeen = seen.reduce((a, b) => (a.invokedAt >= b.invokedAt ? a : b));
  const fitsBetween = (operation: HistoryOperation | undefined): operation is HistoryOperation =>
    operation !== undefined && operation.invokedAt > firstSeen.returnedAt && operation.returnedAt < lastSeen.invokedAt;
  const shownOther = replacements.query(-firstSeen.returnedAt, false, value)?.item.operation;
  const replacement = fitsBetween(shownOther) ? shownOther : missedOnValue.find(fitsBetween);
  if (replacement === undefined) return findSwapThenReappearance(value, source, seen, lastSeen);
  return duplicateEffectFinding(value, source, firstSeen, replacement, lastSeen);
}

/** A cas that swapped away from the value is itself "seen, then replaced". */
function findSwapThenReappearance(
  value: string | null,
  source: Source,
  seen: readonly HistoryOperation[],
  lastSeen: HistoryOperation,
): RuleFinding | undefined {
  const swap = seen.find(
    (operation) =>
      operation.input.kind === 'cas' && operation.input.value !== value && operation.returnedAt < lastSeen.invokedAt,
  );
  if (swap === undefined) return undefined;
  return duplicateEffectFinding(value, source, swap, swap, lastSeen);
}

function duplicateEffectFinding(
  value: string | null,
  source: Source,
  firstSeen: HistoryOperation,
  replacement: HistoryOperation,
  lastSeen: HistoryOperation,
): RuleFinding {
  const origin = source.operation === null ? 'held at the start and never written' : `written only by op ${source.operation.id}`;
  return finding(
    'duplicate-effect',
    [source.operation, firstSeen, replacement, lastSeen],
    `${describeValue(value)}, ${origin}, was current at op ${firstSeen.id}, replaced by op ${replacement.id}, and ` +
      `read again by op ${lastSeen.id} begun at ${lastSeen.invokedAt}: the write took effect twice, or the last read saw an old state`,
  );
}

/**
 * Two cas that both swapped expecting a value with a single source: whichever came first replaced
 * it, and nothing could bring it back for the other. A lost update, whatever the timing.
 */
function findDoubleSwap(facts: KeyFacts): RuleFinding | undefined {
  const swapsByExpected = new Map<string | null, HistoryOperation[]>();
  for (const read of facts.reads) {
    const { operation } = read;
    if (operation.input.kind !== 'cas' || operation.input.value === operation.input.expected) continue;
    const list = swapsByExpected.get(read.value) ?? [];
    list.push(operation);
    swapsByExpected.set(read.value, list);
  }
  let earliest: RuleFinding | undefined;
  for (const [value, swaps] of swapsByExpected) {
    const sources = facts.sourcesByValue.get(value) ?? [];
    if (sources.length !== 1 || swaps.length < 2) continue;
    const [first, second] = [...swaps].sort((a, b) => a.returnedAt - b.returnedAt);
    const source = sources[0]!;
    const origin = source.operation === null ? 'held at the start and never written' : `written only by op ${source.operation.id}`;
    const found = finding(
      'cas-anomaly',
      [source.operation, first!, second!],
      `op ${first!.id} and op ${second!.id} both swapped expecting ${describeValue(value)}, ${origin}: ` +
        'whichever came first replaced it, so the other cannot have seen it (a lost update)',
    );
    if (earliest === undefined || found.provenAt < earliest.provenAt) earliest = found;
  }
  return earliest;
}

function finding(rule: ViolationRule, candidates: readonly (HistoryOperation | null)[], sentence: string): RuleFinding {
  const operations = [...new Set(candidates.filter((operation): operation is HistoryOperation => operation !== null))];
  operations.sort((a, b) => a.invokedAt - b.invokedAt || a.id - b.id);
  const provenAt = Math.max(...operations.map((operation) => (operation.outcome === 'ok' ? operation.returnedAt : operation.invokedAt)));
  return { rule, operations, sentence, provenAt };
}

function observed(read: Shown): string {
  const reader = read.operation;
  return `op ${reader.id} ${verbOf(read)} ${describeValue(read.value)} at ${reader.returnedAt}`;
}

function verbOf(read: Shown): string {
  return read.operation.input.kind === 'cas' ? 'swapped expecting' : 'returned';
}

