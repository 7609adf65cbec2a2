import { describe, expect, it } from 'vitest';
import { checkHistory, type HistoryOperation, HistoryValidationError } from '../src/index.js';

const base: HistoryOperation = {
  id: 1,
  clientId: 1,
  key: 'k',
  input: { kind: 'get' },
  outcome: 'ok',
  output: { kind: 'get', value: null },
  invokedAt: 0,
  returnedAt: 1,
};

function codeOf(history: HistoryOperation[]): string | undefined {
  try {
    checkHistory(history);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(HistoryValidationError);
    return (error as HistoryValidationError).code;
  }
}

describe('malformed histories are rejected with a clear error', () => {
  it('rejects duplicate ids', () => {
    expect(codeOf([base, { ...base }])).toBe('DUPLICATE_ID');
  });

  it("rejects an 'ok' operation without an output", () => {
    const { output: _ignored, ...withoutOutput } = base;
    expect(codeOf([withoutOutput])).toBe('MISSING_OUTPUT');
  });

  it('rejects an output of another kind than the input', () => {
    expect(codeOf([{ ...base, output: { kind: 'put' } }])).toBe('OUTPUT_KIND_MISMATCH');
  });

  it('rejects a return before the invocation and non-finite times', () => {
    expect(codeOf([{ ...base, invokedAt: 5, returnedAt: 4 }])).toBe('RETURNED_BEFORE_INVOKED');
    expect(codeOf([{ ...base, invokedAt: Number.NaN }])).toBe('BAD_TIME');
    expect(codeOf([{ ...base, returnedAt: Number.POSITIVE_INFINITY }])).toBe('BAD_TIME');
  });

  it('accepts an unknown operation whose return time is infinite or missing from JSON', () => {
    const { output: _ignored, ...unknown } = base;
    expect(codeOf([{ ...unknown, outcome: 'unknown', returnedAt: Number.POSITIVE_INFINITY }])).toBeUndefined();
  });
});
