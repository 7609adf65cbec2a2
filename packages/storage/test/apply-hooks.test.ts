import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApplyResult, KvStateMachine } from '../src/index.js';
import { bytes, commandEntry, makeTempDir, text } from './helpers.js';

describe('KvStateMachine.apply onComputed', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let sm: KvStateMachine;

  beforeEach(async () => {
    ({ dir, remove } = await makeTempDir());
    sm = await KvStateMachine.open({ dir: `${dir}/kv` });
  });
  afterEach(async () => {
    await sm.close();
    await remove();
  });

  it('hands over the results before the batch is visible to readers, then makes it visible', async () => {
    await sm.apply([commandEntry({ index: 1, operation: { type: 'put', key: bytes('k'), value: bytes('old') } })]);
    const seen: { results: readonly ApplyResult[]; appliedIndex: number }[] = [];
    const entries = [
      commandEntry({ index: 2, operation: { type: 'put', key: bytes('k'), value: bytes('new') } }),
      commandEntry({ index: 3, operation: { type: 'put', key: bytes('other'), value: bytes('x') } }),
    ];
    const returned = await sm.apply(entries, {
      onComputed: (results) => seen.push({ results, appliedIndex: sm.appliedIndex }),
    });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.results).toEqual(returned);
    expect(returned.map((r) => r.outcome)).toEqual([
      { type: 'put', revision: 2 },
      { type: 'put', revision: 3 },
    ]);
    // At the hand-over the batch was not yet the readable state.
    expect(seen[0]!.appliedIndex).toBe(1);
    expect(sm.appliedIndex).toBe(3);
    expect(text((await sm.get(bytes('k')))!.value)).toBe('new');
  });

  it('calls onComputed once per apply that applies anything, and not for entries already applied', async () => {
    let calls = 0;
    const entry = commandEntry({ index: 1, operation: { type: 'put', key: bytes('a'), value: bytes('1') } });
    await sm.apply([entry], { onComputed: () => (calls += 1) });
    await sm.apply([entry], { onComputed: () => (calls += 1) });
    expect(calls).toBe(1);
  });
});
