import { describe, expect, it } from 'vitest';
import type { BenchOperation } from '../src/history.js';
import { checkBoundedStaleness } from '../src/staleness-check.js';

let nextId = 0;

function write(value: string, invokedAt: number, completedAt: number, outcome: 'ok' | 'unknown' = 'ok'): BenchOperation {
  nextId += 1;
  return {
    id: nextId,
    clientId: 1,
    key: 'k',
    input: { kind: 'put', value },
    outcome,
    invokedAt,
    returnedAt: outcome === 'ok' ? completedAt : Number.POSITIVE_INFINITY,
    completedAt,
    ...(outcome === 'ok' ? { output: { kind: 'put' } } : {}),
  } as BenchOperation;
}

function boundedRead(value: string | null, invokedAt: number, maxStalenessMs = 1000): BenchOperation {
  nextId += 1;
  return {
    id: nextId,
    clientId: 2,
    key: 'k',
    input: { kind: 'get' },
    outcome: 'ok',
    invokedAt,
    returnedAt: invokedAt + 5,
    completedAt: invokedAt + 5,
    output: { kind: 'get', value },
    consistency: 'bounded',
    maxStalenessMs,
  } as BenchOperation;
}

describe('bounded-staleness check', () => {
  const a = write('a', 0, 100);
  const b = write('b', 200, 300);

  it('accepts a value overwritten less than the bound before the read', () => {
    const verdict = checkBoundedStaleness([a, b, boundedRead('a', 1200)]);
    expect(verdict).toMatchObject({ readsChecked: 1, boundMs: 1000, violations: [] });
  });

  it('flags a value overwritten, by an acknowledged later write, more than the bound before the read', () => {
    const verdict = checkBoundedStaleness([a, b, boundedRead('a', 1400)]);
    expect(verdict.violations).toHaveLength(1);
    expect(verdict.violations[0]?.detail).toMatch(/"b" was acknowledged 1100 ms before the read, beyond its 1000 ms bound/);
  });

  it('flags an absent key once a write to it was acknowledged beyond the bound, and a value nobody wrote', () => {
    expect(checkBoundedStaleness([a, boundedRead(null, 1050)]).violations).toEqual([]);
    expect(checkBoundedStaleness([a, boundedRead(null, 1150)]).violations).toHaveLength(1);
    expect(checkBoundedStaleness([a, boundedRead('z', 50)]).violations[0]?.detail).toMatch(/no write of k could have produced "z"/);
  });

  it('never judges stale a value from a write of unknown outcome, nor one whose newer write overlapped it', () => {
    const unknown = write('u', 0, 2000, 'unknown');
    const later = write('c', 2100, 2200);
    // u may have taken effect after c: reading it is not proof of staleness.
    expect(checkBoundedStaleness([unknown, later, boundedRead('u', 9000)]).violations).toEqual([]);
    const overlapping = write('d', 50, 150);
    expect(checkBoundedStaleness([a, overlapping, boundedRead('a', 9000)]).violations).toEqual([]);
  });

  it('leaves linearizable and serializable reads to the others', () => {
    const plain = { ...boundedRead('a', 9000) };
    delete plain.consistency;
    const serializable = { ...boundedRead('a', 9000), consistency: 'serializable' as const };
    expect(checkBoundedStaleness([a, b, plain, serializable]).readsChecked).toBe(0);
  });
});
