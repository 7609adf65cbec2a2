import { KeyFacts, type RuleFinding } from './key-facts.js';
import { findOrderViolation } from './order-rules.js';
import type { HistoryOperation } from './types.js';
import { findDoubleSwap, findDuplicateEffect } from './value-rules.js';

export type { RuleFinding } from './key-facts.js';

/**
 * Named rules: shapes of non-linearizable register histories that can be proved from a few
 * operations without the search. Each rule is a proof (it fires only on histories no order can
 * explain; the property tests hold them to that), and it names the few operations that make it.
 *
 * The order rules (order-rules.ts) and the single-source rules (value-rules.ts) share KeyFacts.
 *
 * Vocabulary. A *source* of value v is an operation that may have written v: an 'ok' put or delete,
 * a cas that swapped or whose outcome is unknown, an unknown put or delete, or the key's initial
 * value (a source that precedes everything). A read of v (a get that returned v, or a cas that
 * swapped expecting v) must be linearized after one of v's sources with no other write between.
 * Real time orders two operations when one returned before the other was invoked.
 */

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
