import { describe, expect, it } from 'vitest';
import { BenchHistory, type BenchOperation, MonotonicClock } from '../src/history.js';
import { type ReadBackResult, accountKey, judgeLinearizability, plantStaleRead } from '../src/verdict.js';

function op(partial: Partial<BenchOperation> & Pick<BenchOperation, 'id' | 'input' | 'invokedAt'>): BenchOperation {
  const outcome = partial.outcome ?? 'ok';
  const returnedAt = partial.returnedAt ?? (outcome === 'unknown' ? Number.POSITIVE_INFINITY : partial.invokedAt + 1);
  return {
    clientId: 1,
    key: 'k',
    outcome,
    returnedAt,
    completedAt: Number.isFinite(returnedAt) ? returnedAt : partial.invokedAt + 1,
    ...(outcome === 'ok' && partial.output === undefined
      ? { output: partial.input.kind === 'cas' ? { kind: 'cas', swapped: true } : { kind: partial.input.kind } }
      : {}),
    ...partial,
  } as BenchOperation;
}

function emptyResult(): ReadBackResult {
  return { keysRead: 0, keysUnreadable: [], lostWrites: [], lostWriteCount: 0, duplicates: [] };
}

function writes(operations: BenchOperation[]): Parameters<typeof accountKey>[0]['writes'] {
  const acknowledged = operations.filter((o) => o.outcome === 'ok');
  const unknown = operations.filter((o) => o.outcome === 'unknown');
  return { acknowledged, unknown, all: [...acknowledged, ...unknown], hasDelete: false };
}

describe('lost-write accounting', () => {
  const a = op({ id: 1, input: { kind: 'put', value: 'a' }, invokedAt: 0, returnedAt: 10 });
  const b = op({ id: 2, input: { kind: 'put', value: 'b' }, invokedAt: 20, returnedAt: 30 });

  it('accepts the last acknowledged value with a matching version', () => {
    const result = emptyResult();
    accountKey({ key: 'k', writes: writes([a, b]), read: { value: 'b', version: 2 }, result });
    expect(result.lostWrites).toEqual([]);
    expect(result.duplicates).toEqual([]);
  });

  it('counts a key that disappeared as losing every acknowledged write', () => {
    const result = emptyResult();
    accountKey({ key: 'k', writes: writes([a, b]), read: { value: null, version: 0 }, result });
    expect(result.lostWrites[0]?.kind).toBe('missing');
    expect(result.lostWriteCount).toBe(2);
  });

  it('counts writes after a surviving older value as lost', () => {
    const result = emptyResult();
    accountKey({ key: 'k', writes: writes([a, b]), read: { value: 'a', version: 1 }, result });
    expect(result.lostWrites[0]?.kind).toBe('stale');
    expect(result.lostWriteCount).toBe(1);
  });

  it('counts a version below the acknowledged writes as lost writes', () => {
    const result = emptyResult();
    accountKey({ key: 'k', writes: writes([a, b]), read: { value: 'b', version: 1 }, result });
    expect(result.lostWrites[0]?.kind).toBe('version-short');
  });

  it('counts a version above acknowledged + unknown writes as a duplicate application', () => {
    const result = emptyResult();
    accountKey({ key: 'k', writes: writes([a, b]), read: { value: 'b', version: 3 }, result });
    expect(result.duplicates).toHaveLength(1);
  });

  it('lets an unknown write be the final value', () => {
    const maybe = op({ id: 3, input: { kind: 'put', value: 'c' }, invokedAt: 5, outcome: 'unknown' });
    const result = emptyResult();
    accountKey({ key: 'k', writes: writes([a, b, maybe]), read: { value: 'c', version: 3 }, result });
    expect(result.lostWrites).toEqual([]);
    expect(result.duplicates).toEqual([]);
  });
});

describe('planted stale read', () => {
  it('turns a linearizable history into a violation on the planted key', () => {
    const history = new BenchHistory({ clock: new MonotonicClock(), operationsMax: 100 });
    for (const value of ['v1', 'v2', 'v3']) {
      const operation = history.invoke({ clientId: 1, key: 'x', input: { kind: 'put', value } });
      history.complete(operation, { outcome: 'ok', output: { kind: 'put' } });
    }
    const read = history.invoke({ clientId: 2, key: 'x', input: { kind: 'get' } });
    history.complete(read, { outcome: 'ok', output: { kind: 'get', value: 'v3' } });
    const before = judgeLinearizability({ operations: history.all(), timeBudgetMsPerKey: 1000 });
    expect(before.result?.linearizable).toBe(true);
    const planted = plantStaleRead(history);
    expect(planted?.output).toEqual({ kind: 'get', value: 'v1' });
    const after = judgeLinearizability({ operations: history.all(), timeBudgetMsPerKey: 1000 });
    expect(after.result?.linearizable).toBe(false);
    expect(after.result?.violations[0]?.key).toBe('x');
  });
});
