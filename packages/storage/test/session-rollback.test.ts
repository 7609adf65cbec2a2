import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KvStateMachine, type KvOperation } from '../src/index.js';
import type { Entry } from '../src/raft-types.js';
import { bytes, commandEntry, makeTempDir } from './helpers.js';

const put = (key: string): KvOperation => ({ type: 'put', key: bytes(key), value: bytes(`v-${key}`) });

function sessionPut(index: number, clientId: string, sequence: number): Entry {
  return commandEntry({ index, operation: put(`${clientId}/${sequence}`), session: { clientId, sequence }, proposedAtMs: 1_000 + index });
}

/** The session table is changed in place during a batch; a batch that throws must leave no trace in it. */
describe('session table across a failed apply', () => {
  let root: { dir: string; remove: () => Promise<void> };
  beforeEach(async () => {
    root = await makeTempDir();
  });
  afterEach(async () => {
    await root.remove();
  });

  it('restores sessions a batch touched, expired or evicted before it threw', async () => {
    const options = { sessions: { sessionsMax: 2, sessionIdleMsMax: 60_000, answersPerSessionMax: 2 } };
    const subject = await KvStateMachine.open({ dir: `${root.dir}/subject`, ...options });
    const reference = await KvStateMachine.open({ dir: `${root.dir}/reference`, ...options });
    try {
      const start = [sessionPut(1, 'a', 1), sessionPut(2, 'b', 1)];
      await subject.apply(start);
      await reference.apply(start);
      // Touches b, records c (evicting a), then hits a gap in indexes and throws.
      const broken = [sessionPut(3, 'b', 2), sessionPut(4, 'c', 1), sessionPut(6, 'a', 2)];
      await expect(subject.apply(broken)).rejects.toThrow(/apply of index 6 after applied index 4/);
      expect(subject.appliedIndex).toBe(2);
      expect(subject.sessionCount()).toBe(2);
      // The same log from here on must give what a replica that never saw the broken batch gives:
      // c evicts the least recently used session (a), so a's retry applies again.
      const next = [sessionPut(3, 'c', 1), sessionPut(4, 'a', 1), sessionPut(5, 'b', 3)];
      const results = await subject.apply(next);
      expect(results).toEqual(await reference.apply(next));
      expect(results[1]?.duplicate).toBe(false);
      expect(subject.sessionCount()).toBe(reference.sessionCount());
    } finally {
      await subject.close();
      await reference.close();
    }
  });

  it('counts sessions as of the last finished apply while a batch is in progress', async () => {
    const subject = await KvStateMachine.open({ dir: `${root.dir}/count` });
    try {
      const applying = subject.apply([sessionPut(1, 'a', 1), sessionPut(2, 'b', 1)]);
      expect(subject.sessionCount()).toBe(0);
      await applying;
      expect(subject.sessionCount()).toBe(2);
    } finally {
      await subject.close();
    }
  });
});
