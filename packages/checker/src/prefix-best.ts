/** Marks "no value excluded" in PrefixBest queries (null is a value: the key is absent). */
export const NO_EXCLUSION: unique symbol = Symbol('no exclusion');

export interface Ranked<T> {
  /** Position along which prefixes are taken. */
  order: number;
  /** Higher is better. */
  score: number;
  value: string | null;
  item: T;
}

/**
 * The best-scoring item among those whose order is below a bound, optionally excluding one value:
 * items sorted by order with, for every prefix, the best item and the best item of another value
 * (so the best of any value but one is always one of the two). Answers in O(log n).
 */
export class PrefixBest<T> {
  private readonly items: Ranked<T>[];
  private readonly best: Ranked<T>[] = [];
  private readonly bestOfOtherValue: (Ranked<T> | undefined)[] = [];

  constructor(items: readonly Ranked<T>[]) {
    this.items = [...items].sort((a, b) => a.order - b.order);
    let best: Ranked<T> | undefined;
    let second: Ranked<T> | undefined;
    for (const item of this.items) {
      if (best === undefined || item.score > best.score) {
        if (best !== undefined && best.value !== item.value) second = best;
        best = item;
      } else if (item.value !== best.value && (second === undefined || item.score > second.score)) {
        second = item;
      }
      this.best.push(best);
      this.bestOfOtherValue.push(second);
    }
  }

  /** Best item with order < bound (order <= bound when inclusive) and value !== excluded. */
  query(bound: number, inclusive: boolean, excluded: string | null | typeof NO_EXCLUSION = NO_EXCLUSION): Ranked<T> | undefined {
    const last = this.lastIndexWithin(bound, inclusive);
    if (last < 0) return undefined;
    const best = this.best[last]!;
    return best.value !== excluded ? best : this.bestOfOtherValue[last];
  }

  private lastIndexWithin(bound: number, inclusive: boolean): number {
    let low = 0;
    let high = this.items.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const order = this.items[middle]!.order;
      if (order < bound || (inclusive && order === bound)) low = middle + 1;
      else high = middle;
    }
    return low - 1;
  }
}

/** One PrefixBest per value, for queries restricted to a single value. */
export function prefixBestByValue<T>(items: readonly Ranked<T>[]): Map<string | null, PrefixBest<T>> {
  const grouped = new Map<string | null, Ranked<T>[]>();
  for (const item of items) {
    const group = grouped.get(item.value) ?? [];
    group.push(item);
    grouped.set(item.value, group);
  }
  return new Map([...grouped].map(([value, group]) => [value, new PrefixBest(group)]));
}
