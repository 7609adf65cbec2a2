// An in-memory twin of one member's keys behind the KvAdapter a workload drives: for tests of
// the workload, its checks and its reports without processes.
import type { KvAdapter, KvValue } from '../src/target.js';

/** What a read of a key the store does not hold answers. */
export const absent = (): KvValue => ({ value: null, version: 0 });

/** One member's keys; every `failEvery`-th write throws after it applied (a timeout, outcome unknown); 0: none. */
export class MemoryStore {
  readonly data = new Map<string, KvValue>();
  writes = 0;
  constructor(readonly failEvery = 0) {}

  write(key: string, value: string): void {
    const version = (this.data.get(key)?.version ?? 0) + 1;
    this.data.set(key, { value, version });
    this.writes += 1;
    if (this.failEvery > 0 && this.writes % this.failEvery === 0) throw new Error('timeout after apply');
  }
}

/**
 * A client of `store`: each read and write answers after the pending microtasks, so concurrent
 * workers interleave; `reads` replace its read methods (a stale member, a bounded read).
 */
export function memoryKv(store: MemoryStore, reads: Partial<Pick<KvAdapter, 'get' | 'getSerializable' | 'getBounded'>> = {}): KvAdapter {
  const read = async (key: string): Promise<KvValue> => {
    await Promise.resolve();
    return store.data.get(key) ?? absent();
  };
  return {
    get: read,
    getSerializable: read,
    put: async (key, value) => {
      await Promise.resolve();
      store.write(key, value);
    },
    cas: async (key, expected, value) => {
      await Promise.resolve();
      if ((store.data.get(key)?.value ?? null) !== expected) return false;
      store.write(key, value);
      return true;
    },
    delete: async (key) => {
      store.data.delete(key);
    },
    close: () => {},
    ...reads,
  };
}
