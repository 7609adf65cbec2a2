import { mkdir, rename, stat, truncate, writeFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  inspectBackupFile,
  KvStateMachine,
  type KvOperation,
  readBackupFile,
  SnapshotInvalidError,
  StateCorruptionError,
} from '../src/index.js';
import { incomingDir, oldDir } from '../src/restore-swap.js';
import { bytes, commandEntry, makeTempDir, recordingLogger, text, withRawDb } from './helpers.js';
import { restoreMarkerKey } from '../src/kv-format.js';

const put = (key: string, value: string): KvOperation => ({ type: 'put', key: bytes(key), value: bytes(value) });

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const all: Uint8Array[] = [];
  for await (const chunk of chunks) all.push(chunk);
  return all;
}

async function* replay(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

async function dump(sm: KvStateMachine): Promise<string[]> {
  const page = await sm.range({ start: Uint8Array.of(1), end: Uint8Array.of(0) });
  return page.kvs.map((kv) => `${text(kv.key)}=${text(kv.value)}@${kv.createRevision}/${kv.modRevision}/${kv.version}`);
}

describe('state machine snapshots', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let source: KvStateMachine;

  beforeEach(async () => {
    ({ dir, remove } = await makeTempDir());
    source = await KvStateMachine.open({ dir: `${dir}/a/kv`, snapshotChunkBytes: 256 });
    const entries = [];
    for (let index = 1; index <= 60; index++) {
      entries.push(
        commandEntry({
          index,
          term: 2,
          operation: put(`key/${index % 40}`, `value ${index} `.repeat(5)),
          session: { clientId: `client-${index % 3}`, sequence: Math.ceil(index / 3) },
        }),
      );
    }
    await source.apply(entries);
  });
  afterEach(async () => {
    await source.close();
    await remove();
  });

  it('streams a consistent state that restores identically in another directory', async () => {
    const reader = await source.openSnapshotReader();
    // Writes after the reader opened are not in the snapshot.
    await source.apply([commandEntry({ index: 61, term: 2, operation: put('late', 'x') })]);
    const chunks = await collect(reader.chunks());
    await reader.close();
    expect(chunks.length).toBeGreaterThan(3);
    expect(reader.meta).toMatchObject({ appliedIndex: 60, appliedTerm: 2, revision: 60 });

    const target = await KvStateMachine.open({ dir: `${dir}/b/kv` });
    await target.apply([commandEntry({ index: 1, operation: put('stale', 'gone') })]);
    const meta = await target.restoreSnapshot(replay(chunks), { index: 60, term: 2 });
    expect(meta.appliedIndex).toBe(60);
    expect(target.appliedIndex).toBe(60);
    expect(target.revision).toBe(60);
    expect(await target.get(bytes('stale'))).toBeUndefined();
    expect(await target.get(bytes('late'))).toBeUndefined();
    await source.apply([]);
    const sourceKeys = (await dump(source)).filter((line) => !line.startsWith('late='));
    expect(await dump(target)).toEqual(sourceKeys);
    // Sessions travel with the snapshot: a retried write is still recognized.
    const [retry] = await target.apply([
      commandEntry({ index: 61, term: 2, operation: put('key/0', 'again'), session: { clientId: 'client-0', sequence: 20 } }),
    ]);
    expect(retry!.duplicate).toBe(true);
    await target.close();
    const reopened = await KvStateMachine.open({ dir: `${dir}/b/kv` });
    expect(reopened.appliedIndex).toBe(61);
    await reopened.close();
  });

  it('refuses a damaged chunk and keeps the old state', async () => {
    const reader = await source.openSnapshotReader();
    const chunks = await collect(reader.chunks());
    await reader.close();
    const damaged = chunks.map((chunk, position) => {
      if (position !== 2) return chunk;
      const copy = Uint8Array.from(chunk);
      copy[copy.length - 1]! ^= 0xff;
      return copy;
    });
    const target = await KvStateMachine.open({ dir: `${dir}/b/kv` });
    await target.apply([commandEntry({ index: 1, operation: put('kept', 'yes') })]);
    await expect(target.restoreSnapshot(replay(damaged))).rejects.toThrow(SnapshotInvalidError);
    await expect(target.restoreSnapshot(replay(chunks.slice(0, -1)))).rejects.toThrow(/ended before its trailer/);
    await expect(target.restoreSnapshot(replay(chunks), { index: 61, term: 2 })).rejects.toThrow(/expected index 61/);
    expect(text((await target.get(bytes('kept')))?.value)).toBe('yes');
    expect(await exists(incomingDir(`${dir}/b/kv`))).toBe(false);
    await target.close();
  });

  it('refuses a snapshot behind its own applied index and keeps its state (the applied index never goes back)', async () => {
    const reader = await source.openSnapshotReader();
    const chunks = await collect(reader.chunks());
    await reader.close();
    // A member that applied past the snapshot's state while the stream waited (sim FINDINGS R13).
    const target = await KvStateMachine.open({ dir: `${dir}/b/kv` });
    const ahead = [];
    for (let index = 1; index <= 62; index++) ahead.push(commandEntry({ index, term: 2, operation: put(`mine/${index}`, 'x') }));
    await target.apply(ahead);
    await expect(target.restoreSnapshot(replay(chunks))).rejects.toThrow(/snapshot state at applied index 60 is behind this state's 62: not restored/);
    await expect(target.restoreSnapshot(replay(chunks))).rejects.toThrow(SnapshotInvalidError);
    expect(target.appliedIndex).toBe(62);
    expect(text((await target.get(bytes('mine/62')))?.value)).toBe('x');
    expect(await target.get(bytes('key/1'))).toBeUndefined();
    expect(await exists(incomingDir(`${dir}/b/kv`))).toBe(false);
    await target.close();
  });

  it('seeds an empty state from a backup file as a new cluster: keys, revisions and sessions kept, no membership', async () => {
    await source.apply([
      { type: 'confChange', index: 61, term: 2, change: { type: 'addVoter', nodeId: 7 } },
    ]);
    const reader = await source.openSnapshotReader();
    const file = `${dir}/backup.bin`;
    await writeFile(file, Buffer.concat(await collect(reader.chunks())));
    await reader.close();
    expect(source.confState.voters).toEqual([7]);

    const target = await KvStateMachine.open({ dir: `${dir}/c/kv` });
    const meta = await target.seedFromBackup(readBackupFile(file, 1024 * 1024));
    expect(meta).toMatchObject({ appliedIndex: 0, appliedTerm: 0, revision: 60, confState: { voters: [], learners: [] }, members: [] });
    expect(target.appliedIndex).toBe(0);
    expect(target.revision).toBe(60);
    expect(await dump(target)).toEqual(await dump(source));
    // The new cluster's log starts at index 1: its bootstrap entry applies, and writes continue the revisions.
    await target.apply([{ type: 'confChange', index: 1, term: 1, change: { type: 'addVoter', nodeId: 1 } }]);
    expect(target.confState.voters).toEqual([1]);
    const [retry, fresh] = await target.apply([
      commandEntry({ index: 2, term: 1, operation: put('key/0', 'again'), session: { clientId: 'client-0', sequence: 20 } }),
      commandEntry({ index: 3, term: 1, operation: put('key/1', 'new') }),
    ]);
    expect(retry!.duplicate).toBe(true);
    expect(fresh!.outcome).toMatchObject({ type: 'put', revision: 61 });

    // Only an empty state is seeded.
    await expect(target.seedFromBackup(readBackupFile(file, 1024 * 1024))).rejects.toThrow(StateCorruptionError);
    await target.close();
  });

  it('inspects a backup file without writing: counts, revision, members; damage and cuts refused', async () => {
    const reader = await source.openSnapshotReader();
    const file = `${dir}/backup.bin`;
    const whole = Buffer.concat(await collect(reader.chunks()));
    await reader.close();
    await writeFile(file, whole);
    const summary = await inspectBackupFile(file, 1024 * 1024);
    // 40 keys, 3 client sessions and the meta record.
    expect(summary).toMatchObject({ revision: 60, appliedIndex: 60, pairs: 44, keys: 40, keyValueBytes: source.keyValueBytes, bytes: whole.byteLength });
    expect(summary.keyValueBytes).toBeGreaterThan(0);
    expect(summary.chunks).toBeGreaterThan(3);
    const damaged = Buffer.from(whole);
    damaged[damaged.length - 40]! ^= 0xff;
    await writeFile(file, damaged);
    await expect(inspectBackupFile(file, 1024 * 1024)).rejects.toThrow(SnapshotInvalidError);
    await writeFile(file, whole.subarray(0, whole.length - 10));
    await expect(inspectBackupFile(file, 1024 * 1024)).rejects.toThrow(/ends inside the chunk/);
  });

  it('refuses a backup file cut short, keeping the state empty', async () => {
    const reader = await source.openSnapshotReader();
    const file = `${dir}/backup.bin`;
    const whole = Buffer.concat(await collect(reader.chunks()));
    await reader.close();
    await writeFile(file, whole);
    const target = await KvStateMachine.open({ dir: `${dir}/d/kv` });
    for (const cut of [whole.length - 3, whole.length - 20, 5]) {
      await truncate(file, cut);
      await expect(target.seedFromBackup(readBackupFile(file, 1024 * 1024))).rejects.toThrow(SnapshotInvalidError);
      await writeFile(file, whole);
    }
    expect(await dump(target)).toEqual([]);
    expect(target.appliedIndex).toBe(0);
    await target.close();
  });

  /** Leaves `<dir>.incoming` as a restore would, up to the marker or just before it. */
  async function stageIncoming(target: string, options: { marked: boolean }): Promise<void> {
    const reader = await source.openSnapshotReader();
    const chunks = await collect(reader.chunks());
    await reader.close();
    const staging = await KvStateMachine.open({ dir: `${dir}/staging/kv` });
    await staging.restoreSnapshot(replay(chunks));
    await staging.close();
    await mkdir(`${dir}/b`, { recursive: true });
    await rename(`${dir}/staging/kv`, incomingDir(target));
    if (!options.marked) {
      await withRawDb(incomingDir(target), async (db) => {
        await db.del(restoreMarkerKey);
      });
    }
  }

  it('discards a restore that crashed before the swap', async () => {
    const target = `${dir}/b/kv`;
    const old = await KvStateMachine.open({ dir: target });
    await old.apply([commandEntry({ index: 1, operation: put('old', 'state') })]);
    await old.close();
    await stageIncoming(target, { marked: true });
    const logger = recordingLogger();
    const reopened = await KvStateMachine.open({ dir: target, logger });
    expect(reopened.appliedIndex).toBe(1);
    expect(text((await reopened.get(bytes('old')))?.value)).toBe('state');
    expect(await exists(incomingDir(target))).toBe(false);
    expect(logger.warnings).toContain('discarded a snapshot restore that never completed');
    await reopened.close();
  });

  it('finishes a restore that crashed between the two renames', async () => {
    const target = `${dir}/b/kv`;
    const old = await KvStateMachine.open({ dir: target });
    await old.apply([commandEntry({ index: 1, operation: put('old', 'state') })]);
    await old.close();
    await stageIncoming(target, { marked: true });
    await rename(target, oldDir(target));
    const reopened = await KvStateMachine.open({ dir: target });
    expect(reopened.appliedIndex).toBe(60);
    expect(await reopened.get(bytes('old'))).toBeUndefined();
    expect(await exists(oldDir(target))).toBe(false);
    await reopened.close();
  });

  it('rolls back when the renamed-away state has no complete replacement', async () => {
    const target = `${dir}/b/kv`;
    const old = await KvStateMachine.open({ dir: target });
    await old.apply([commandEntry({ index: 1, operation: put('old', 'state') })]);
    await old.close();
    await stageIncoming(target, { marked: false });
    await rename(target, oldDir(target));
    const reopened = await KvStateMachine.open({ dir: target });
    expect(reopened.appliedIndex).toBe(1);
    expect(text((await reopened.get(bytes('old')))?.value)).toBe('state');
    expect(await exists(incomingDir(target))).toBe(false);
    await reopened.close();
  });
});
