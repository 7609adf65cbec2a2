import type { HistoryOperation } from './types.js';

/**
 * The register model of one key, over interned values: state 0 is "absent" and every distinct
 * string gets its own positive id, so states compare and hash as small integers.
 */
export const ABSENT = 0;
export const INVALID = -1;
const UNKNOWN_OBSERVATION = -1;

export const OpKind = { Get: 0, Put: 1, Cas: 2, Delete: 3 } as const;
export type OpKind = (typeof OpKind)[keyof typeof OpKind];

/** One operation compiled for the search. */
export interface ModelOperation {
  kind: OpKind;
  /** Value written by put/cas, else ABSENT. */
  writtenValue: number;
  /** Expected value of a cas, else ABSENT. */
  expectedValue: number;
  /** Value a get returned; UNKNOWN_OBSERVATION when the outcome is unknown. */
  observedValue: number;
  /** 1 swapped, 0 not swapped, -1 unknown (or not a cas). */
  swapped: number;
  /** True for 'ok' operations: they must be linearized. Unknown ones may be left out. */
  definite: boolean;
}

export class ValueInterner {
  private readonly ids = new Map<string, number>();

  idOf(value: string | null): number {
    if (value === null) return ABSENT;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.ids.size + 1;
      this.ids.set(value, id);
    }
    return id;
  }
}

export function compileOperation(operation: HistoryOperation, values: ValueInterner): ModelOperation {
  const definite = operation.outcome === 'ok';
  const compiled: ModelOperation = {
    kind: OpKind.Get,
    writtenValue: ABSENT,
    expectedValue: ABSENT,
    observedValue: UNKNOWN_OBSERVATION,
    swapped: -1,
    definite,
  };
  const { input, output } = operation;
  switch (input.kind) {
    case 'get':
      if (definite && output?.kind === 'get') compiled.observedValue = values.idOf(output.value);
      break;
    case 'put':
      compiled.kind = OpKind.Put;
      compiled.writtenValue = values.idOf(input.value);
      break;
    case 'cas':
      compiled.kind = OpKind.Cas;
      compiled.writtenValue = values.idOf(input.value);
      compiled.expectedValue = values.idOf(input.expected);
      if (definite && output?.kind === 'cas') compiled.swapped = output.swapped ? 1 : 0;
      break;
    case 'delete':
      compiled.kind = OpKind.Delete;
      break;
  }
  return compiled;
}

/** Applies `operation` to `state`; returns the next state, or INVALID if its output is impossible. */
export function stepModel(state: number, operation: ModelOperation): number {
  switch (operation.kind) {
    case OpKind.Get:
      if (operation.observedValue !== UNKNOWN_OBSERVATION && operation.observedValue !== state) {
        return INVALID;
      }
      return state;
    case OpKind.Put:
      return operation.writtenValue;
    case OpKind.Delete:
      return ABSENT;
    case OpKind.Cas: {
      const matches = state === operation.expectedValue;
      if (operation.swapped !== -1 && operation.swapped === 1 !== matches) return INVALID;
      return matches ? operation.writtenValue : state;
    }
  }
}
