import { describeValue } from './describe.js';
import { finding, type KeyFacts, type RuleFinding, type Shown, type Source } from './key-facts.js';
import { PrefixBest } from './prefix-best.js';
import type { HistoryOperation } from './types.js';

/**
 * A value with a single source that is seen, then replaced, then seen again: after the
 * replacement only another write of it could bring it back, and there is none. Either that write
 * took effect twice or the last read saw an old state. Real time alone does not show which came
 * first here (else an order rule would have fired).
 */
export function findDuplicateEffect(facts: KeyFacts): RuleFinding | undefined {
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
export function findDoubleSwap(facts: KeyFacts): RuleFinding | undefined {
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
