/**
 * Fenced puts (PutRequest.if_fence_at_least): the member that takes one turns it into the fence
 * txn of the SDK's convention, so both kinds of fenced writes of a key see each other: compare
 * `__fence/<key>` (the highest token accepted, 16 decimal digits, so that comparing values
 * compares the numbers) below token + 1, then write the token there and the key, at one revision;
 * otherwise read the fence key to name the highest token. The compare is decided at apply, on
 * every member alike, like any txn's.
 */
import type { GetResponse, PutRequest__Output as PutRequest, PutResponse, TxnRequest__Output as TxnRequest, TxnResponse } from '@holdfast/protocol';
import { CompareFailedError, InternalError, InvalidRequestError } from './errors.js';

export const FENCE_KEY_PREFIX = Buffer.from('__fence/');
/** Tokens are written as this many decimal digits; token + 1 must fit. */
const FENCE_DIGITS = 16;
export const FENCE_TOKEN_MAX = 10 ** FENCE_DIGITS - 2;

function fenceValue(token: number): Buffer {
  return Buffer.from(String(token).padStart(FENCE_DIGITS, '0'));
}

export function fenceKeyOf(key: Uint8Array): Buffer {
  return Buffer.concat([FENCE_KEY_PREFIX, key]);
}

/** Refuses what a fenced put may not carry (before anything is proposed). */
export function checkFencedPut(put: PutRequest, keyBytesMax: number): void {
  const token = put.ifFenceAtLeast;
  if (!Number.isSafeInteger(token) || token < 1 || token > FENCE_TOKEN_MAX) {
    throw new InvalidRequestError('invalid-argument', `fencing token must be in [1, ${FENCE_TOKEN_MAX}], got ${token}`);
  }
  if (put.ifAbsent || put.ifModRevision > 0) {
    throw new InvalidRequestError('invalid-argument', 'a fenced put takes no if_absent or if_mod_revision (use a txn with the fence compare)');
  }
  const fenceKeyBytes = FENCE_KEY_PREFIX.length + put.key.length;
  if (fenceKeyBytes > keyBytesMax) {
    throw new InvalidRequestError('key-too-large', `the fence key of this key is ${fenceKeyBytes} bytes; the limit is ${keyBytesMax}`);
  }
}

/** The txn a fenced put is applied as: its session is the put's, so a retry gets the first answer. */
export function fencedPutTxn(put: PutRequest): TxnRequest {
  const token = put.ifFenceAtLeast;
  const fenceKey = fenceKeyOf(put.key);
  const plain = { ...put, ifFenceAtLeast: 0, session: null };
  return {
    compare: [{ key: fenceKey, target: 'VALUE', op: 'LESS', value: fenceValue(token + 1), number: 0 }],
    success: [
      { op: 'put', put: { ...plain, key: fenceKey, value: fenceValue(token), prevKv: false, lease: 0 } },
      { op: 'put', put: plain },
    ],
    failure: [{ op: 'get', get: { key: fenceKey, consistency: 'LINEARIZABLE', maxStalenessMs: 0, revision: 0 } }],
    session: put.session,
  };
}

/** The put's answer from the txn's, or CompareFailedError naming the highest token (the message is read by the SDK). */
export function fencedPutResult(token: number, txn: TxnResponse): PutResponse {
  if (txn.succeeded) {
    const put = txn.results?.[1]?.put;
    if (put === undefined || put === null) throw new InternalError('a fenced put answered without its put');
    return put;
  }
  const get = txn.results?.[0]?.get as GetResponse | null | undefined;
  const highest = get?.found === true && get.kv ? Number(Buffer.from(get.kv.value ?? '').toString()) : 0;
  throw new CompareFailedError(`fencing token ${token} is below ${highest}, which the key accepted already`);
}
