import { type Compare, type CompareOperator, compare, op, type TxnOp, type TxnRequest } from '@holdfast/client';
import { UsageError } from './errors.js';

/**
 * The `holdfast txn` syntax.
 *
 * Flags (each repeatable, run in order):
 *   --if   'KEY TARGET OP ARG'   TARGET: value | version | mod_revision | create_revision
 *                                OP: = | != | < | >     ARG: a number, or the value for `value`
 *   --then 'put KEY VALUE' | 'get KEY' | 'del KEY'      run when every --if holds
 *   --else 'put KEY VALUE' | 'get KEY' | 'del KEY'      run otherwise
 * Words may be quoted with '...' or "..." to hold spaces.
 *
 * JSON on stdin (`holdfast txn --stdin`): an object with `if`, `then`, `else` (or `compare`,
 * `success`, `failure`) arrays whose items are either strings in the flag syntax or objects:
 *   { "key": "k", "target": "mod_revision", "op": "=", "arg": 5 }
 *   { "op": "put", "key": "k", "value": "v" }   { "op": "get", "key": "k" }   { "op": "del", "key": "k" }
 */

const targets: Record<string, Compare['target']> = {
  value: 'value',
  version: 'version',
  mod_revision: 'modRevision',
  modrevision: 'modRevision',
  mod: 'modRevision',
  create_revision: 'createRevision',
  createrevision: 'createRevision',
  create: 'createRevision',
};

const operators: Record<string, CompareOperator> = { '=': '=', '==': '=', '!=': '!=', '<': '<', '>': '>' };

/** Splits on spaces, keeping quoted words whole ('a b' or "a b"). */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  const pattern = /"((?:[^"\\]|\\.)*)"|'([^']*)'|(\S+)/g;
  for (const match of text.matchAll(pattern)) {
    const [, doubleQuoted, singleQuoted, bare] = match;
    words.push(doubleQuoted?.replace(/\\(.)/g, '$1') ?? singleQuoted ?? bare ?? '');
  }
  return words;
}

function buildCompare(key: string, targetWord: string, operatorWord: string, arg: string | number): Compare {
  const target = targets[targetWord.toLowerCase()];
  if (target === undefined) {
    throw new UsageError(`unknown compare target '${targetWord}' (value, version, mod_revision, create_revision)`);
  }
  const operator = operators[operatorWord];
  if (operator === undefined) throw new UsageError(`unknown compare operator '${operatorWord}' (=, !=, <, >)`);
  if (target === 'value') return compare.value(key, operator, String(arg));
  const number = typeof arg === 'number' ? arg : Number(arg);
  if (!Number.isSafeInteger(number) || number < 0) {
    throw new UsageError(`compare on ${targetWord} needs a non-negative integer, got '${arg}'`);
  }
  return { target, key, operator, number };
}

export function parseCompare(text: string): Compare {
  const words = splitWords(text);
  const [key, target, operator, arg] = words;
  if (words.length !== 4 || key === undefined || target === undefined || operator === undefined || arg === undefined) {
    throw new UsageError(`a compare is 'KEY TARGET OP ARG', e.g. 'k mod_revision = 5'; got '${text}'`);
  }
  return buildCompare(key, target, operator, arg);
}

function buildOp(verb: string, key: string | undefined, value: string | undefined, source: string): TxnOp {
  if (key === undefined) throw new UsageError(`'${source}' needs a key`);
  switch (verb.toLowerCase()) {
    case 'put':
      if (value === undefined) throw new UsageError(`'${source}' needs a value: put KEY VALUE`);
      return op.put(key, value);
    case 'get':
      return op.get(key);
    case 'del':
    case 'delete':
      return op.delete(key);
    default:
      throw new UsageError(`unknown operation '${verb}' in '${source}' (put, get, del)`);
  }
}

export function parseOp(text: string): TxnOp {
  const words = splitWords(text);
  const [verb, key, value] = words;
  const expected = verb?.toLowerCase() === 'put' ? 3 : 2;
  if (verb === undefined || words.length !== expected) {
    throw new UsageError(`an operation is 'put KEY VALUE', 'get KEY' or 'del KEY'; got '${text}'`);
  }
  return buildOp(verb, key, value, text);
}

/** The repeated --if, --then and --else flags, in order. */
export interface TxnFlags {
  compares?: readonly string[];
  successOps?: readonly string[];
  failureOps?: readonly string[];
}

export function parseTxnFlags(flags: TxnFlags): TxnRequest {
  return {
    compare: (flags.compares ?? []).map(parseCompare),
    success: (flags.successOps ?? []).map(parseOp),
    failure: (flags.failureOps ?? []).map(parseOp),
  };
}

function field(object: Record<string, unknown>, name: string, where: string): string {
  const value = object[name];
  if (typeof value !== 'string') throw new UsageError(`${where}: '${name}' must be a string`);
  return value;
}

function compareFromJson(item: unknown, where: string): Compare {
  if (typeof item === 'string') return parseCompare(item);
  if (typeof item !== 'object' || item === null) throw new UsageError(`${where}: a string or an object`);
  const object = item as Record<string, unknown>;
  const arg = object['arg'] ?? object['value'] ?? object['number'];
  if (typeof arg !== 'string' && typeof arg !== 'number') throw new UsageError(`${where}: 'arg' must be a string or number`);
  return buildCompare(field(object, 'key', where), field(object, 'target', where), field(object, 'op', where), arg);
}

function opFromJson(item: unknown, where: string): TxnOp {
  if (typeof item === 'string') return parseOp(item);
  if (typeof item !== 'object' || item === null) throw new UsageError(`${where}: a string or an object`);
  const object = item as Record<string, unknown>;
  const value = object['value'];
  if (value !== undefined && typeof value !== 'string') throw new UsageError(`${where}: 'value' must be a string`);
  return buildOp(field(object, 'op', where), field(object, 'key', where), value, where);
}

function listOf(object: Record<string, unknown>, names: [string, string]): unknown[] {
  const value = object[names[0]] ?? object[names[1]] ?? [];
  if (!Array.isArray(value)) throw new UsageError(`'${names[0]}' must be an array`);
  return value;
}

export function parseTxnJson(text: string): TxnRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`txn input is not JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError('txn input must be a JSON object with if/then/else arrays');
  }
  const object = parsed as Record<string, unknown>;
  return {
    compare: listOf(object, ['if', 'compare']).map((item, index) => compareFromJson(item, `if[${index}]`)),
    success: listOf(object, ['then', 'success']).map((item, index) => opFromJson(item, `then[${index}]`)),
    failure: listOf(object, ['else', 'failure']).map((item, index) => opFromJson(item, `else[${index}]`)),
  };
}
