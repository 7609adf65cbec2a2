import { describeValue } from './describe.js';
import { PrefixBest } from './prefix-best.js';
import type { HistoryOperation, ViolationRule } from './types.js';

/* What the named rules share: one key's sources, reads and writes indexed once, and the finding they build. */

export interface RuleFinding {
  rule: ViolationRule;
  /** The operations that prove the rule, ordered by invocation time. */
  operations: HistoryOperation[];
  /** One sentence saying what these operations show. */
  sentence: string;
  /** When the last of the operations returned: the earliest finding is reported. */
  provenAt: number;
}

export interface Source {
  value: string | null;
  invokedAt: number;
  /** +Infinity for an unknown operation, -Infinity for the initial value. */
  returnedAt: number;
  /** null for the key's initial value. */
  operation: HistoryOperation | null;
}

/** An 'ok' operation that shows the key held `value` at its linearization point. */
export interface Shown {
  value: string | null;
  operation: HistoryOperation;
  /**
   * write: the operation wrote value. read: it observed value (a get, or a cas expecting it).
   * missed: a cas expecting value that did not swap; the key held anything but value.
   */
  how: 'write' | 'read' | 'missed';
}

/** Everything the rules ask about one key, indexed once. */
export class KeyFacts {
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
 * An operation that pins a state: the key held `shown.value` at its linearization point. The next
 * write of another value must come after both that point and the write it read, so it must not
 * have returned before `beganAt`: the operation's own invocation, or for a read, if later, the
 * invocation of the first write of the value it read.
 */
export interface Pin {
  shown: Shown;
  beganAt: number;
  /** For a read pin: the latest-begun write it may have read (null: the initial value). */
  source: Source | null;
  /** For a read pin whose beganAt is the first write of its value: that write. */
  firstSource: Source | null;
}

export function finding(rule: ViolationRule, candidates: readonly (HistoryOperation | null)[], sentence: string): RuleFinding {
  const operations = [...new Set(candidates.filter((operation): operation is HistoryOperation => operation !== null))];
  operations.sort((a, b) => a.invokedAt - b.invokedAt || a.id - b.id);
  const provenAt = Math.max(...operations.map((operation) => (operation.outcome === 'ok' ? operation.returnedAt : operation.invokedAt)));
  return { rule, operations, sentence, provenAt };
}

export function observed(read: Shown): string {
  const reader = read.operation;
  return `op ${reader.id} ${verbOf(read)} ${describeValue(read.value)} at ${reader.returnedAt}`;
}

export function verbOf(read: Shown): string {
  return read.operation.input.kind === 'cas' ? 'swapped expecting' : 'returned';
}

export function describeLatestSource(facts: KeyFacts, latest: Source | undefined): string {
  if (latest === undefined) return 'none did';
  if (latest.operation !== null) return `the latest, op ${latest.operation.id}, returned at ${latest.returnedAt}`;
  return facts.initialIsKnown ? 'it was the initial value' : 'the key may have held it when this window began';
}

/**
 * Could any read have read `write`'s value from it? Only one that may come after it and began
 * before it was surely replaced.
 */
export function isEverObservedAfter(facts: KeyFacts, write: Shown): boolean {
  const source = facts.sourceOf(write.operation);
  const replacedAt = source === undefined ? Number.POSITIVE_INFINITY : facts.replacedAt.get(source)!;
  return (facts.readsByValue.get(write.value) ?? []).some(
    (read) => read !== write.operation && read.returnedAt >= write.operation.invokedAt && read.invokedAt <= replacedAt,
  );
}
