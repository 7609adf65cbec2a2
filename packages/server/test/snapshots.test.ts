import { type Entry, ENTRY_OVERHEAD_BYTES } from '@holdfast/raft';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseNodeConfig } from '../src/config.js';
import type { LogWriter } from '../src/driver/log-writer.js';
import { Snapshots } from '../src/driver/snapshots.js';
import { NodeMetrics } from '../src/metrics.js';

/** The snapshot policy alone, over a log and a state machine that only record what is asked. */
function policy(flags: string[]) {
  const config = parseNodeConfig(['--id', '1', '--data-dir', '/nonexistent', '--log-level', 'silent', ...flags], {});
  const compactions: { index: number; keepAfterIndex: number | undefined }[] = [];
  /** The core's applied index: in step with the state machine unless a test moves them apart. */
  const core = { applied: undefined as number | undefined };
  const sm = { appliedIndex: 0, appliedTerm: 1, confState: { voters: [1], learners: [] }, apply: async () => [], sync: async () => {} };
  const log = {
    hardState: () => ({ term: 1, vote: 1, commit: sm.appliedIndex }),
    lastIndex: () => sm.appliedIndex,
    save: async () => {},
    compact: async (options: { snapshot: { meta: { index: number } }; keepAfterIndex?: number }) => {
      compactions.push({ index: options.snapshot.meta.index, keepAfterIndex: options.keepAfterIndex });
    },
  };
  const logWriter = { writeUnwrittenHardState: async () => {} } as unknown as LogWriter;
  const coreAppliedIndex = (): number => core.applied ?? sm.appliedIndex;
  const snapshots = new Snapshots({ log, stateMachine: sm, logWriter, coreAppliedIndex, limits: config.limits, metrics: new NodeMetrics(), logger: pino({ level: 'silent' }) });
  /** Applies `count` entries of `payloadBytes` each as one batch. */
  const apply = (count: number, payloadBytes: number): void => {
    const entries: Entry[] = Array.from({ length: count }, (_, i) => ({ type: 'normal', term: 1, index: sm.appliedIndex + 1 + i, data: new Uint8Array(payloadBytes) }));
    sm.appliedIndex += count;
    snapshots.noteApplied(entries);
  };
  return { snapshots, apply, compactions, sm, core };
}

describe('snapshot policy', () => {
  it('takes a snapshot after snapshotEntries small entries, keeping snapshotCatchupEntries', async () => {
    const { snapshots, apply, compactions } = policy(['--snapshot-entries', '100', '--snapshot-catchup-entries', '30']);
    for (let batch = 0; batch < 9; batch++) apply(10, 10);
    expect(snapshots.isDue).toBe(false);
    apply(10, 10);
    expect(snapshots.isDue).toBe(true);
    await snapshots.take();
    expect(compactions).toEqual([{ index: 100, keepAfterIndex: 70 }]);
    expect(snapshots.isDue).toBe(false);
  });

  it('takes a snapshot once the applied entries weigh snapshotLogBytes, however few they are', async () => {
    const entryBytes = 100_000;
    const { snapshots, apply, compactions } = policy(['--snapshot-entries', '10000', '--snapshot-log-bytes', String(10 * entryBytes), '--snapshot-catchup-bytes', String(3 * entryBytes)]);
    apply(9, entryBytes - ENTRY_OVERHEAD_BYTES);
    expect(snapshots.isDue).toBe(false);
    apply(1, entryBytes - ENTRY_OVERHEAD_BYTES);
    expect(snapshots.isDue).toBe(true);
    await snapshots.take();
    // 5000 entries by count, but only 3 entries' bytes may stay.
    expect(compactions).toEqual([{ index: 10, keepAfterIndex: 7 }]);
  });

  it('keeps the newest entries within snapshotCatchupBytes, and the next snapshot counts bytes afresh', async () => {
    const { snapshots, apply, compactions } = policy(['--snapshot-entries', '10000', '--snapshot-log-bytes', '1000000', '--snapshot-catchup-bytes', '250000']);
    // Batches of 4 entries of 50,000 bytes: 5 entries fit in the catch-up bytes, 6 do not.
    for (let batch = 0; batch < 5; batch++) apply(4, 50_000 - ENTRY_OVERHEAD_BYTES);
    expect(snapshots.isDue).toBe(true);
    await snapshots.take();
    expect(compactions).toEqual([{ index: 20, keepAfterIndex: 15 }]);
    for (let batch = 0; batch < 4; batch++) apply(4, 50_000 - ENTRY_OVERHEAD_BYTES);
    expect(snapshots.isDue).toBe(false);
    apply(4, 50_000 - ENTRY_OVERHEAD_BYTES);
    expect(snapshots.isDue).toBe(true);
    await snapshots.take();
    expect(compactions[1]).toEqual({ index: 40, keepAfterIndex: 35 });
  });

  it('waits until the core has handed out the entries up to a state restored ahead of it (FINDINGS R11)', async () => {
    const { snapshots, apply, compactions, sm, core } = policy(['--snapshot-entries', '16', '--snapshot-catchup-entries', '0']);
    apply(16, 10);
    // A leader's snapshot at 16 restores its state as sent, at 18; the core has applied 16, and
    // the log holds 17 and 18 (committed, not yet handed out by the core).
    core.applied = 16;
    sm.appliedIndex = 18;
    expect(snapshots.isDue).toBe(false);
    core.applied = 17;
    expect(snapshots.isDue).toBe(false);
    core.applied = 18;
    expect(snapshots.isDue).toBe(true);
    await snapshots.take();
    expect(compactions).toEqual([{ index: 18, keepAfterIndex: 18 }]);
  });
});
