import { describe, expect, it } from 'vitest';
import { KvStateMachine, LevelLogStorage, MemoryDisk, type StorageDisk } from '../src/index.js';
import { bytes, commandEntry, normalEntry, text } from './helpers.js';

const put = (index: number, key: string, value: string) => commandEntry({ index, operation: { type: 'put', key: bytes(key), value: bytes(value) } });

async function chunksOf(stream: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

async function* replay(chunks: readonly Uint8Array[]): AsyncIterable<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

/** The log store and the state machine open every database through the disk seam. */
describe('storage on the in-memory disk (memory-level)', () => {
  it('keeps the log across close and reopen, and touches no file', async () => {
    const disk: StorageDisk = new MemoryDisk();
    const log = await LevelLogStorage.open({ dir: '/sim/1/log', disk });
    await log.save({ hardState: { term: 2, vote: 1, commit: 2 }, entries: [normalEntry({ index: 1, term: 2 }), normalEntry({ index: 2, term: 2 })], sync: true });
    await log.close();
    const reopened = await LevelLogStorage.open({ dir: '/sim/1/log', disk });
    expect(reopened.lastIndex()).toBe(2);
    expect(reopened.hardState()).toEqual({ term: 2, vote: 1, commit: 2 });
    expect(reopened.droppedAtOpen.bytes).toBe(0);
    expect(await disk.exists('/sim/1/log')).toBe(true);
    await reopened.close();
  });

  it('runs the state machine (synchronous reads included) and restores a snapshot by the directory swap', async () => {
    const disk = new MemoryDisk();
    const source = await KvStateMachine.open({ dir: '/sim/1/kv', disk });
    await source.apply([put(1, 'a', 'one'), put(2, 'b', 'two'), put(3, 'a', 'three')]);
    expect(text((await source.get(bytes('a')))?.value)).toBe('three');
    const reader = await source.openSnapshotReader();
    const chunks = await chunksOf(reader.chunks());
    await reader.close();
    const target = await KvStateMachine.open({ dir: '/sim/2/kv', disk });
    await target.restoreSnapshot(replay(chunks), { index: 3, term: 1 });
    expect(target.appliedIndex).toBe(3);
    expect(text((await target.get(bytes('b')))?.value)).toBe('two');
    expect(await disk.exists('/sim/2/kv.incoming')).toBe(false);
    expect(await disk.exists('/sim/2/kv.old')).toBe(false);
    await target.close();
    const reopened = await KvStateMachine.open({ dir: '/sim/2/kv', disk });
    expect(reopened.appliedIndex).toBe(3);
    expect(text((await reopened.get(bytes('a')))?.value)).toBe('three');
    await reopened.close();
    await source.close();
  });

  it('refuses to open one database twice, as LevelDB’s lock does', async () => {
    const disk = new MemoryDisk();
    const log = await LevelLogStorage.open({ dir: '/sim/1/log', disk });
    await expect(LevelLogStorage.open({ dir: '/sim/1/log', disk })).rejects.toThrow(/already open/);
    await log.close();
  });
});
