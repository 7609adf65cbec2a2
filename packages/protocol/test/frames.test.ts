import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FrameOutbox, requestBytes, responseBytes } from '../src/index.js';

function outbox(limits: { itemsMax: number; bytesMax: number }): { box: FrameOutbox<number>; frames: number[][] } {
  const frames: number[][] = [];
  return { box: new FrameOutbox<number>({ ...limits, write: (items) => frames.push(items) }), frames };
}

describe('FrameOutbox', () => {
  it('writes everything pushed in one turn as one frame, once the turn is over', async () => {
    const { box, frames } = outbox({ itemsMax: 100, bytesMax: 1000 });
    for (let i = 0; i < 5; i++) box.push(i, 10);
    expect(frames).toEqual([]);
    await nextTurn();
    expect(frames).toEqual([[0, 1, 2, 3, 4]]);
    box.push(5, 10);
    await nextTurn();
    expect(frames).toEqual([[0, 1, 2, 3, 4], [5]]);
  });

  it('starts a new frame when the item or byte limit would be passed, keeping push order', async () => {
    const byCount = outbox({ itemsMax: 2, bytesMax: 1000 });
    for (let i = 0; i < 5; i++) byCount.box.push(i, 1);
    await nextTurn();
    expect(byCount.frames).toEqual([[0, 1], [2, 3], [4]]);

    const byBytes = outbox({ itemsMax: 100, bytesMax: 25 });
    for (let i = 0; i < 5; i++) byBytes.box.push(i, 10);
    await nextTurn();
    expect(byBytes.frames).toEqual([[0, 1], [2, 3], [4]]);
  });

  it('sends an item bigger than the byte limit alone rather than never', async () => {
    const { box, frames } = outbox({ itemsMax: 100, bytesMax: 25 });
    box.push(0, 10);
    box.push(1, 500);
    box.push(2, 10);
    await nextTurn();
    expect(frames).toEqual([[0], [1], [2]]);
  });

  it('flush writes at once; discard drops what is waiting', async () => {
    const { box, frames } = outbox({ itemsMax: 100, bytesMax: 1000 });
    box.push(0, 1);
    box.flush();
    expect(frames).toEqual([[0]]);
    box.push(1, 1);
    box.discard();
    await nextTurn();
    expect(frames).toEqual([[0]]);
    box.flush();
    expect(frames).toEqual([[0]]);
  });
});

describe('frame byte estimates', () => {
  const key = Buffer.alloc(16);
  const value = Buffer.alloc(1000);

  it('count the keys and values a request carries, whichever operation it is', () => {
    const put = requestBytes({ id: 1, put: { key, value } });
    expect(put).toBeGreaterThanOrEqual(1016);
    expect(requestBytes({ id: 1, get: { key } })).toBeLessThan(put);
    const txn = requestBytes({ id: 1, txn: { compare: [{ key, value }], success: [{ put: { key, value } }], failure: [{ get: { key } }] } });
    expect(txn).toBeGreaterThanOrEqual(2 * 1016 + 16);
  });

  it('count a range page by every pair it holds', () => {
    const kvs = Array.from({ length: 10 }, () => ({ key, value }));
    expect(responseBytes({ id: 1, range: { kvs } })).toBeGreaterThanOrEqual(10 * 1016);
    expect(responseBytes({ id: 1, get: { kv: null } })).toBeLessThan(100);
  });
});
