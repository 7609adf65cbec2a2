import type { HistoryOperation } from './types.js';

/**
 * Words for a failing sub-history. Tries the common anomaly shapes in turn (a value nobody wrote,
 * a read before its write, a stale read, a value reappearing, a cas that contradicts the only
 * possible value) and falls back to a plain statement. The search is the judge; this only describes.
 */
export function explainViolation(operations: readonly HistoryOperation[], initialValue: string | null): string {
  const ordered = [...operations].sort((a, b) => a.invokedAt - b.invokedAt || a.id - b.id);
  const writes = ordered.filter(isPossibleWrite).map((op) => toWrite(op));
  writes.push({ value: initialValue, invokedAt: -Infinity, returnedAt: -Infinity, definite: true, operation: null });
  for (const reader of ordered) {
    const read = readValueOf(reader);
    if (read === undefined) continue;
    const explanation =
      explainUnwrittenValue(reader, read, writes) ??
      explainReadBeforeWrite(reader, read, writes) ??
      explainStaleRead(reader, read, writes) ??
      explainReappearingValue(reader, read, ordered, writes);
    if (explanation !== undefined) return explanation;
  }
  for (const reader of ordered) {
    const explanation = explainCasThatMissedOnlyValue(reader, writes);
    if (explanation !== undefined) return explanation;
  }
  return (
    `no order of these ${ordered.length} operations respects both their real-time order and ` +
    `the key-value semantics: ${ordered.map(describeOperation).join('; ')}`
  );
}

interface Write {
  value: string | null;
  invokedAt: number;
  returnedAt: number;
  definite: boolean;
  /** null for the key's initial value. */
  operation: HistoryOperation | null;
}

export function describeValue(value: string | null): string {
  return value === null ? 'absent' : `'${value}'`;
}

export function describeOperation(operation: HistoryOperation): string {
  const { input, output } = operation;
  let text: string;
  switch (input.kind) {
    case 'get':
      text = output?.kind === 'get' ? `get -> ${describeValue(output.value)}` : 'get';
      break;
    case 'put':
      text = `put ${describeValue(input.value)}`;
      break;
    case 'cas':
      text = `cas ${describeValue(input.expected)} -> ${describeValue(input.value)}`;
      if (output?.kind === 'cas') text += output.swapped ? ' (swapped)' : ' (not swapped)';
      break;
    case 'delete':
      text = 'delete';
      break;
  }
  const end = operation.outcome === 'ok' ? String(operation.returnedAt) : operation.outcome;
  return `${text} [op ${operation.id}, client ${operation.clientId}, ${operation.invokedAt}..${end}]`;
}

function isPossibleWrite(operation: HistoryOperation): boolean {
  if (operation.input.kind === 'get') return false;
  if (operation.input.kind === 'cas' && operation.output?.kind === 'cas') return operation.output.swapped;
  return true;
}

function toWrite(operation: HistoryOperation): Write {
  const value = operation.input.kind === 'put' || operation.input.kind === 'cas' ? operation.input.value : null;
  const definite = operation.outcome === 'ok';
  const returnedAt = definite ? operation.returnedAt : Infinity;
  return { value, invokedAt: operation.invokedAt, returnedAt, definite, operation };
}

/** The value an 'ok' operation observed: a get's result, or the expected value of a swapped cas. */
function readValueOf(operation: HistoryOperation): string | null | undefined {
  if (operation.outcome !== 'ok') return undefined;
  if (operation.output?.kind === 'get') return operation.output.value;
  if (operation.output?.kind === 'cas' && operation.output.swapped && operation.input.kind === 'cas') {
    return operation.input.expected;
  }
  return undefined;
}

function verbOf(reader: HistoryOperation): string {
  return reader.input.kind === 'get' ? `get returned` : 'cas succeeded expecting';
}

function explainUnwrittenValue(reader: HistoryOperation, read: string | null, writes: Write[]): string | undefined {
  if (writes.some((write) => write.value === read)) return undefined;
  return `${verbOf(reader)} ${describeValue(read)} but no operation wrote ${describeValue(read)}: ${describeOperation(reader)}`;
}

function explainReadBeforeWrite(reader: HistoryOperation, read: string | null, writes: Write[]): string | undefined {
  const writers = writes.filter((write) => write.value === read);
  if (!writers.every((write) => write.invokedAt > reader.returnedAt)) return undefined;
  const first = writers.reduce((a, b) => (a.invokedAt <= b.invokedAt ? a : b));
  return (
    `${verbOf(reader)} ${describeValue(read)} at ${reader.returnedAt}, before any write of it began ` +
    `(the first began at ${first.invokedAt}): ${describeOperation(reader)}; ${describeOperation(first.operation!)}`
  );
}

function explainStaleRead(reader: HistoryOperation, read: string | null, writes: Write[]): string | undefined {
  const writers = writes.filter((write) => write.value === read);
  const latestWriterEnd = Math.max(...writers.map((write) => write.returnedAt));
  const overwriters = writes.filter(
    (write) =>
      write.definite &&
      write.value !== read &&
      write.invokedAt > latestWriterEnd &&
      write.returnedAt < reader.invokedAt,
  );
  if (overwriters.length === 0) return undefined;
  const latest = overwriters.reduce((a, b) => (a.returnedAt >= b.returnedAt ? a : b));
  const staleSource =
    writers.length === 1 && writers[0]!.operation === null
      ? 'the initial value'
      : `every write of ${describeValue(read)} had finished`;
  return (
    `${verbOf(reader)} ${describeValue(read)} but the latest write that could precede it wrote ` +
    `${describeValue(latest.value)} (it began after ${staleSource} and finished before the read began): ` +
    `${describeOperation(reader)}; ${describeOperation(latest.operation!)}`
  );
}

function explainReappearingValue(
  reader: HistoryOperation,
  read: string | null,
  ordered: readonly HistoryOperation[],
  writes: Write[],
): string | undefined {
  const writers = writes.filter((write) => write.value === read);
  if (writers.length !== 1 || writers[0]!.operation === null) return undefined;
  for (const middle of ordered) {
    const middleRead = readValueOf(middle);
    if (middleRead === undefined || middleRead === read || middle.returnedAt >= reader.invokedAt) continue;
    const earlier = ordered.find(
      (op) => op !== reader && readValueOf(op) === read && op.returnedAt < middle.invokedAt,
    );
    if (earlier === undefined) continue;
    return (
      `${describeValue(read)} was read, then ${describeValue(middleRead)}, then ${describeValue(read)} again, ` +
      `but ${describeValue(read)} was written only once: ${describeOperation(earlier)}; ` +
      `${describeOperation(middle)}; ${describeOperation(reader)}; ${describeOperation(writers[0]!.operation)}`
    );
  }
  return undefined;
}

function explainCasThatMissedOnlyValue(reader: HistoryOperation, writes: Write[]): string | undefined {
  if (reader.outcome !== 'ok' || reader.input.kind !== 'cas' || reader.output?.kind !== 'cas') return undefined;
  if (reader.output.swapped) return undefined;
  const expected = reader.input.expected;
  const matching = writes.filter(
    (write) => write.definite && write.value === expected && write.returnedAt < reader.invokedAt,
  );
  for (const source of matching) {
    const others = writes.filter((write) => write.value !== expected);
    const noneCanIntervene = others.every(
      (write) => write.returnedAt < source.invokedAt || write.invokedAt > reader.returnedAt,
    );
    if (!noneCanIntervene) continue;
    const sourceText = source.operation === null ? 'it was the initial value' : describeOperation(source.operation);
    return (
      `cas expecting ${describeValue(expected)} reported no swap, but no other value could be current: ` +
      `${describeOperation(reader)}; ${sourceText}`
    );
  }
  return undefined;
}
