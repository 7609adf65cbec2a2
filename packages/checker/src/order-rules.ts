import { describeInput, describeValue } from './describe.js';
import {
  describeLatestSource,
  finding,
  isEverObservedAfter,
  type KeyFacts,
  observed,
  type Pin,
  type RuleFinding,
  type Shown,
  type Source,
  verbOf,
} from './key-facts.js';
import { PrefixBest, prefixBestByValue, type Ranked } from './prefix-best.js';
import { SourceExclusions } from './source-exclusions.js';
import type { HistoryOperation } from './types.js';

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
export function findOrderViolation(facts: KeyFacts): RuleFinding | undefined {
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
  // A lost write needs an older value that the read saw instead.
  if (latest !== undefined && !isEverObservedAfter(facts, pin.shown)) {
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
