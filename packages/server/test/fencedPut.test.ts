// Fenced puts (PutRequest.if_fence_at_least) on a node: applied as the fence txn, so a stale token
// is refused and writes fenced by the SDK's txn convention and by the field see each other;
// exactly once with a session; refused while the cluster applies below version 7.
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningNode } from '../src/node.js';
import { bytes, type CallError, call, closeClients, type GetAnswer, startLoneNode, tempDir } from './helpers.js';

const FAILED_PRECONDITION = 9 as grpc.status;
const INVALID_ARGUMENT = 3 as grpc.status;

function fencedPut(address: string, key: string, value: string, token: number, extra: object = {}) {
  return call<{ revision: number }>(address, 'put', { key: bytes(key), value: bytes(value), ifFenceAtLeast: token, ...extra });
}

async function refusal(promise: Promise<unknown>): Promise<CallError & { details: string }> {
  try {
    await promise;
  } catch (error) {
    return error as CallError & { details: string };
  }
  throw new Error('the call was not refused');
}

const fenceOf = (token: number): Buffer => bytes(String(token).padStart(16, '0'));

describe('fenced puts', () => {
  const dir = tempDir('fenced-put');
  const olderDir = tempDir('fenced-put-older');
  let node: RunningNode;
  let address: string;
  let older: RunningNode;
  let olderAddress: string;

  beforeAll(async () => {
    ({ node, address } = await startLoneNode(dir.path));
    ({ node: older, address: olderAddress } = await startLoneNode(olderDir.path, ['--failpoints', 'apply-version-max=6']));
  }, 60_000);

  afterAll(async () => {
    closeClients();
    await node?.stop();
    await older?.stop();
    dir.remove();
    olderDir.remove();
  });

  it('writes with a token at least the highest, refuses a lower one naming the highest, and records the token beside the key', async () => {
    const first = await fencedPut(address, 'res', 'from-5', 5);
    const fence = await call<GetAnswer>(address, 'get', { key: bytes('__fence/res') });
    expect(fence.kv?.value).toEqual(fenceOf(5));
    expect(fence.kv?.modRevision).toBe(first.revision);
    const stale = await refusal(fencedPut(address, 'res', 'from-3', 3));
    expect(stale.code).toBe(FAILED_PRECONDITION);
    expect(stale.kind).toBe('compare-failed');
    expect(stale.details).toMatch(/^fencing token 3 is below 5/);
    expect((await call<GetAnswer>(address, 'get', { key: bytes('res') })).kv?.value).toEqual(bytes('from-5'));
    // The same token again is at least the highest.
    await fencedPut(address, 'res', 'from-5-again', 5);
    expect((await call<GetAnswer>(address, 'get', { key: bytes('res') })).kv?.value).toEqual(bytes('from-5-again'));
  });

  it('sees the tokens of the txn convention and the reverse', async () => {
    // A holder with token 7 writes through the SDK's fence txn.
    const fenceKey = bytes('__fence/shared');
    await call(address, 'txn', {
      compare: [{ key: fenceKey, target: 'VALUE', op: 'LESS', value: fenceOf(8) }],
      success: [{ put: { key: fenceKey, value: fenceOf(7) } }, { put: { key: bytes('shared'), value: bytes('txn-7') } }],
      failure: [],
    });
    expect((await refusal(fencedPut(address, 'shared', 'field-6', 6))).details).toMatch(/^fencing token 6 is below 7/);
    await fencedPut(address, 'shared', 'field-9', 9);
    const late = await call<{ succeeded: boolean }>(address, 'txn', {
      compare: [{ key: fenceKey, target: 'VALUE', op: 'LESS', value: fenceOf(8) }],
      success: [{ put: { key: fenceKey, value: fenceOf(7) } }, { put: { key: bytes('shared'), value: bytes('txn-7-late') } }],
      failure: [],
    });
    expect(late.succeeded).toBe(false);
    expect((await call<GetAnswer>(address, 'get', { key: bytes('shared') })).kv?.value).toEqual(bytes('field-9'));
  });

  it('answers a retried session with its first answer, even after a higher token', async () => {
    const session = { clientId: 'fence-client', sequence: 1 };
    const first = await fencedPut(address, 'once', 'a', 2, { session });
    await fencedPut(address, 'once', 'b', 4);
    const retried = await fencedPut(address, 'once', 'a', 2, { session });
    expect(retried.revision).toBe(first.revision);
    expect((await call<GetAnswer>(address, 'get', { key: bytes('once') })).kv?.value).toEqual(bytes('b'));
  });

  it('refuses a fenced put with another guard, inside a txn, or while the cluster applies below version 7', async () => {
    expect((await refusal(fencedPut(address, 'g', 'v', 1, { ifAbsent: true }))).code).toBe(INVALID_ARGUMENT);
    expect((await refusal(fencedPut(address, 'g', 'v', 1, { ifModRevision: 3 }))).code).toBe(INVALID_ARGUMENT);
    const inTxn = await refusal(call(address, 'txn', { compare: [], success: [{ put: { key: bytes('g'), value: bytes('v'), ifFenceAtLeast: 1 } }], failure: [] }));
    expect(inTxn.code).toBe(INVALID_ARGUMENT);
    const old = await refusal(fencedPut(olderAddress, 'g', 'v', 1));
    expect(old.code).toBe(INVALID_ARGUMENT);
    expect(old.details).toContain('apply version 7');
    expect((await call<GetAnswer>(olderAddress, 'get', { key: bytes('g') })).found).toBe(false);
    expect((await call<GetAnswer>(address, 'get', { key: bytes('g') })).found).toBe(false);
  });
});
