import { describeOperation, describeValue } from './describe.js';
import type { HistoryOperation, ViolationRule } from './types.js';

const RULE_TITLES: Record<ViolationRule, string> = {
  'value-from-nowhere': 'value from nowhere',
  'future-read': 'read from the future',
  'stale-read': 'stale read',
  'lost-write': 'lost write',
  'duplicate-effect': 'duplicate effect',
  'cas-anomaly': 'cas anomaly',
  'no-order': 'no linearization',
};

/** The explanation a person reads: the rule, one sentence, then the operations with their times. */
export function formatExplanation(rule: ViolationRule, sentence: string, operations: readonly HistoryOperation[]): string {
  const lines = operations.map((operation) => `  ${describeOperation(operation)}`);
  return `${RULE_TITLES[rule]}: ${sentence}\n${lines.join('\n')}`;
}

/** The sentence for a shrunk sub-history that no named rule describes. */
export function noOrderSentence(operations: readonly HistoryOperation[]): string {
  return (
    `no order of these ${operations.length} operations respects both their real-time order and the ` +
    'register semantics, and no named rule describes them'
  );
}

/** What a proof over a window cut from a longer history rests on. */
export function windowClause(window: { startsAfter: number; states: readonly (string | null)[] }): string {
  const states = window.states.map(describeValue).join(' or ');
  return (
    `; the history before ${window.startsAfter} was cut away, when the key held ${states} ` +
    '(the last writes before then are listed), and the proof holds from each'
  );
}
