import type { HistoryOperation, KvInput, KvOutput } from '../src/index.js';

/** Builds histories for tests in a compact notation: one call per operation, ids in order. */
export class HistoryBuilder {
  private readonly operations: HistoryOperation[] = [];

  constructor(private readonly key = 'k') {}

  private add(clientId: number, input: KvInput, output: KvOutput | undefined, span: [number, number]): this {
    const operation: HistoryOperation = {
      id: this.operations.length,
      clientId,
      key: this.key,
      input,
      outcome: output === undefined ? 'unknown' : 'ok',
      invokedAt: span[0],
      returnedAt: output === undefined ? Number.POSITIVE_INFINITY : span[1],
    };
    if (output !== undefined) operation.output = output;
    this.operations.push(operation);
    return this;
  }

  put(clientId: number, value: string, span: [number, number]): this {
    return this.add(clientId, { kind: 'put', value }, { kind: 'put' }, span);
  }

  putUnknown(clientId: number, value: string, invokedAt: number): this {
    return this.add(clientId, { kind: 'put', value }, undefined, [invokedAt, invokedAt]);
  }

  putFailed(clientId: number, value: string, span: [number, number]): this {
    this.add(clientId, { kind: 'put', value }, undefined, span);
    const last = this.operations[this.operations.length - 1]!;
    last.outcome = 'failed';
    last.returnedAt = span[1];
    return this;
  }

  get(clientId: number, value: string | null, span: [number, number]): this {
    return this.add(clientId, { kind: 'get' }, { kind: 'get', value }, span);
  }

  cas(clientId: number, expected: string | null, value: string, swapped: boolean, span: [number, number]): this {
    return this.add(clientId, { kind: 'cas', expected, value }, { kind: 'cas', swapped }, span);
  }

  casUnknown(clientId: number, expected: string | null, value: string, invokedAt: number): this {
    return this.add(clientId, { kind: 'cas', expected, value }, undefined, [invokedAt, invokedAt]);
  }

  delete(clientId: number, span: [number, number]): this {
    return this.add(clientId, { kind: 'delete' }, { kind: 'delete' }, span);
  }

  build(): HistoryOperation[] {
    return this.operations.map((operation) => ({ ...operation }));
  }
}

/**
 * Reference oracle for small single-key histories: tries every order that respects real time.
 * Exponential, so only for a handful of operations; it shares no code with the checker.
 */
export function isLinearizableByBruteForce(
  history: readonly HistoryOperation[],
  initialValue: string | null = null,
): boolean {
  const operations = history.filter((op) => op.outcome !== 'failed');
  const returnOf = (op: HistoryOperation): number => (op.outcome === 'ok' ? op.returnedAt : Number.POSITIVE_INFINITY);
  const done = new Array<boolean>(operations.length).fill(false);
  const search = (state: string | null, doneCount: number): boolean => {
    const pendingDefinite = operations.some((op, i) => !done[i] && op.outcome === 'ok');
    if (!pendingDefinite) return true;
    for (let i = 0; i < operations.length; i += 1) {
      if (done[i]) continue;
      const candidate = operations[i]!;
      const mustWait = operations.some((other, j) => !done[j] && j !== i && returnOf(other) < candidate.invokedAt);
      if (mustWait) continue;
      const next = applyOperation(state, candidate);
      if (next === 'impossible') continue;
      done[i] = true;
      const found = search(next, doneCount + 1);
      done[i] = false;
      if (found) return true;
    }
    return false;
  };
  return search(initialValue, 0);
}

function applyOperation(state: string | null, op: HistoryOperation): string | null | 'impossible' {
  const known = op.outcome === 'ok';
  switch (op.input.kind) {
    case 'get':
      if (known && op.output?.kind === 'get' && op.output.value !== state) return 'impossible';
      return state;
    case 'put':
      return op.input.value;
    case 'delete':
      return null;
    case 'cas': {
      const matches = state === op.input.expected;
      if (known && op.output?.kind === 'cas' && op.output.swapped !== matches) return 'impossible';
      return matches ? op.input.value : state;
    }
  }
}
