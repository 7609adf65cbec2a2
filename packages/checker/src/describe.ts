import type { HistoryOperation, KvInput } from './types.js';

export function describeValue(value: string | null): string {
  return value === null ? 'absent' : `'${value}'`;
}

/** What was asked, without the answer: `put 'a'`, `cas 'a' -> 'b'`, `get`, `delete`. */
export function describeInput(input: KvInput): string {
  switch (input.kind) {
    case 'get':
      return 'get';
    case 'put':
      return `put ${describeValue(input.value)}`;
    case 'cas':
      return `cas ${describeValue(input.expected)} -> ${describeValue(input.value)}`;
    case 'delete':
      return 'delete';
  }
}

/** One operation on one line: what it asked, what it got, its id, client and interval. */
export function describeOperation(operation: HistoryOperation): string {
  const { input, output } = operation;
  let text = describeInput(input);
  if (output?.kind === 'get') text += ` -> ${describeValue(output.value)}`;
  if (output?.kind === 'cas') text += output.swapped ? ' (swapped)' : ' (not swapped)';
  const end = operation.outcome === 'ok' ? String(operation.returnedAt) : operation.outcome;
  return `${text} [op ${operation.id}, client ${operation.clientId}, ${operation.invokedAt}..${end}]`;
}
