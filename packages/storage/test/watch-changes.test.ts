/**
 * Change listeners (the source of watches): every change apply makes, in revision order, once
 * written; nothing for writes that changed nothing or were taken back; a restore is announced.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APPLY_VERSION_QUOTA, type KeyChange, type KvOperation, KvStateMachine } from '../src/index.js';
import { bytes, commandEntry, makeTempDir, text } from './helpers.js';

const put = (key: string, value: string): KvOperation => ({ type: 'put', key: bytes(key), value: bytes(value) });
const del = (key: string): KvOperation => ({ type: 'delete', key: bytes(key) });
const show = (change: KeyChange): string =>
  `${change.type} ${text(change.kv.key)}=${text(change.kv.value)}@${change.kv.createRevision}/${change.kv.modRevision}/${change.kv.version}`;

describe('change listeners', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let sm: KvStateMachine;
  let heard: string[];
  let stop: () => void;

  beforeEach(async () => {
    ({ dir, remove } = await makeTempDir());
    sm = await KvStateMachine.open({ dir: `${dir}/kv` });
    heard = [];
    stop = sm.watchChanges({
      changed: (changes, revision) => {
        // Told only once the batch is written: the store is at the batch's revision already.
        expect(sm.revision).toBe(revision);
        heard.push(`${changes.map(show).join(', ')} (r${revision})`);
      },
      restored: (revision) => heard.push(`restored r${revision}`),
    });
  });
  afterEach(async () => {
    await sm.close();
    await remove();
  });

  it('tells every change in revision order, a txn at one revision, and nothing for writes that changed nothing', async () => {
    const session = { clientId: 'c', sequence: 1 };
    await sm.apply([
      commandEntry({ index: 1, operation: put('a', '1'), session }),
      commandEntry({ index: 2, operation: put('a', '2') }),
      commandEntry({ index: 3, operation: { type: 'put', key: bytes('a'), value: bytes('x'), ifAbsent: true } }),
      commandEntry({ index: 4, operation: del('missing') }),
    ]);
    await sm.apply([commandEntry({ index: 5, operation: put('a', '1'), session })]); // a retry: the kept answer
    await sm.apply([
      commandEntry({
        index: 6,
        operation: { type: 'txn', compare: [], success: [put('b', '1'), del('a'), { type: 'get', key: bytes('b') }], failure: [] } as KvOperation,
      }),
      // Refused by the quota and taken back: no change.
      commandEntry({ index: 7, operation: put('c', 'too long'), storeBytesMax: 4, applyVersion: APPLY_VERSION_QUOTA }),
      commandEntry({ index: 8, operation: put('b', '2') }),
    ]);
    expect(heard).toEqual([
      'put a=1@1/1/1, put a=2@1/2/2 (r2)',
      'put b=1@3/3/1, delete a=@0/3/0, put b=2@3/4/2 (r4)',
    ]);
  });

  it('announces a restore, and stops telling once stopped', async () => {
    const source = await KvStateMachine.open({ dir: `${dir}/source` });
    await source.apply([commandEntry({ index: 1, operation: put('s', '1') }), commandEntry({ index: 2, operation: put('t', '1') })]);
    const reader = await source.openSnapshotReader();
    try {
      await sm.restoreSnapshot(reader.chunks());
    } finally {
      await reader.close();
      await source.close();
    }
    expect(heard).toEqual(['restored r2']);
    stop();
    await sm.apply([commandEntry({ index: 3, operation: put('u', '1') })]);
    expect(heard).toEqual(['restored r2']);
  });
});
