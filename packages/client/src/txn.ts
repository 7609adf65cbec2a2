import { InternalError, InvalidArgumentError } from './errors.js';
import {
  type DeleteOptions,
  type DeleteResult,
  deleteRequest,
  deleteResultFromWire,
  getRequest,
  type PutOptions,
  type PutResult,
  putRequest,
  putResultFromWire,
} from './requests.js';
import { type Bytes, headerFromWire, type KeyValue, keyValueFromWire, type ResponseHeader, toBytes } from './values.js';
import type {
  Compare as WireCompare,
  TxnOp as WireTxnOp,
  TxnOpResult__Output as WireTxnOpResult,
  TxnRequest as WireTxnRequest,
  TxnResponse__Output as WireTxnResponse,
} from '@holdfast/protocol';

export type CompareOperator = '=' | '!=' | '<' | '>';
export type CompareTarget = 'value' | 'version' | 'modRevision' | 'createRevision';

/** One guard of a transaction. A missing key compares as an empty value with version and revisions 0. */
export type Compare =
  | { target: 'value'; key: Bytes; operator: CompareOperator; value: Bytes }
  | { target: 'version' | 'modRevision' | 'createRevision'; key: Bytes; operator: CompareOperator; number: number };

/** Builders for transaction guards: `compare.modRevision('k', '=', 5)`. */
export const compare = {
  value: (key: Bytes, operator: CompareOperator, value: Bytes): Compare => ({ target: 'value', key, operator, value }),
  version: (key: Bytes, operator: CompareOperator, number: number): Compare => ({
    target: 'version',
    key,
    operator,
    number,
  }),
  modRevision: (key: Bytes, operator: CompareOperator, number: number): Compare => ({
    target: 'modRevision',
    key,
    operator,
    number,
  }),
  createRevision: (key: Bytes, operator: CompareOperator, number: number): Compare => ({
    target: 'createRevision',
    key,
    operator,
    number,
  }),
};

export type TxnOp =
  | { type: 'put'; key: Bytes; value: Bytes; options?: PutOptions }
  | { type: 'get'; key: Bytes }
  | { type: 'delete'; key: Bytes; options?: DeleteOptions };

/** Builders for transaction operations: `op.put('k', 'v')`, `op.get('k')`, `op.delete('k')`. */
export const op = {
  put: (key: Bytes, value: Bytes, options?: PutOptions): TxnOp =>
    options === undefined ? { type: 'put', key, value } : { type: 'put', key, value, options },
  get: (key: Bytes): TxnOp => ({ type: 'get', key }),
  delete: (key: Bytes, options?: DeleteOptions): TxnOp =>
    options === undefined ? { type: 'delete', key } : { type: 'delete', key, options },
};

/** If every compare holds, run `success`, else `failure`; atomically, at one revision. */
export interface TxnRequest {
  compare?: readonly Compare[];
  success?: readonly TxnOp[];
  failure?: readonly TxnOp[];
}

export type TxnOpResult =
  | ({ type: 'put' } & PutResult)
  | { type: 'get'; header: ResponseHeader; kv: KeyValue | undefined }
  | ({ type: 'delete' } & DeleteResult);

export interface TxnResult {
  header: ResponseHeader;
  /** True when every compare held and `success` ran. */
  succeeded: boolean;
  revision: number;
  /** One per operation of the branch that ran, in order. */
  results: TxnOpResult[];
}

const wireOperators: Record<CompareOperator, NonNullable<WireCompare['op']>> = {
  '=': 'EQUAL',
  '!=': 'NOT_EQUAL',
  '<': 'LESS',
  '>': 'GREATER',
};

function wireCompare(guard: Compare): WireCompare {
  const operator = wireOperators[guard.operator];
  if (operator === undefined) {
    throw new InvalidArgumentError(`unknown compare operator '${guard.operator}'`, { code: 'invalid-argument' });
  }
  const key = toBytes(guard.key);
  switch (guard.target) {
    case 'value':
      return { key, target: 'VALUE', op: operator, value: toBytes(guard.value) };
    case 'version':
      return { key, target: 'VERSION', op: operator, number: guard.number };
    case 'modRevision':
      return { key, target: 'MOD_REVISION', op: operator, number: guard.number };
    case 'createRevision':
      return { key, target: 'CREATE_REVISION', op: operator, number: guard.number };
  }
}

function wireOp(operation: TxnOp): WireTxnOp {
  switch (operation.type) {
    case 'put':
      return { put: putRequest(operation.key, operation.value, operation.options) };
    case 'get':
      // Inside a transaction a read is part of the linearizable write; consistency does not apply.
      return { get: getRequest(operation.key, 'linearizable') };
    case 'delete':
      return { delete: deleteRequest(operation.key, operation.options) };
  }
}

export function txnRequestToWire(request: TxnRequest): WireTxnRequest {
  return {
    compare: (request.compare ?? []).map(wireCompare),
    success: (request.success ?? []).map(wireOp),
    failure: (request.failure ?? []).map(wireOp),
  };
}

function txnOpResultFromWire(wire: WireTxnOpResult): TxnOpResult {
  if (wire.put) return { type: 'put', ...putResultFromWire(wire.put) };
  if (wire.delete) return { type: 'delete', ...deleteResultFromWire(wire.delete) };
  if (wire.get) {
    const kv = wire.get.found ? keyValueFromWire(wire.get.kv) : undefined;
    return { type: 'get', header: headerFromWire(wire.get.header), kv };
  }
  throw new InternalError(`transaction result without an operation (${wire.result})`, { code: 'internal' });
}

export function txnResultFromWire(wire: WireTxnResponse): TxnResult {
  return {
    header: headerFromWire(wire.header),
    succeeded: wire.succeeded,
    revision: wire.revision,
    results: wire.results.map(txnOpResultFromWire),
  };
}
