import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { afterEach, beforeEach } from 'vitest';
import {
  type ApplyResult,
  encodeCommand,
  type KvCommand,
  type KvOperation,
  KvStateMachine,
  type StateMachineOptions,
  type StorageLogger,
} from '../src/index.js';
import { packr } from '../src/kv-format.js';
import type { Entry } from '../src/raft-types.js';
import { sealHeaderBytes, sealMarker } from '../src/state-record.js';

export async function makeTempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'holdfast-storage-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (value: Uint8Array | undefined): string | undefined =>
  value === undefined ? undefined : new TextDecoder().decode(value);

export function normalEntry(options: { index: number; term?: number; data?: Uint8Array }): Entry {
  return { type: 'normal', index: options.index, term: options.term ?? 1, data: options.data ?? bytes(`e${options.index}`) };
}

export function commandEntry(options: {
  index: number;
  term?: number;
  operation: KvOperation;
  session?: { clientId: string; sequence: number };
  proposedAtMs?: number;
  storeBytesMax?: number;
  applyVersion?: number;
  authRevision?: number;
}): Entry {
  const command: KvCommand = {
    operation: options.operation,
    proposedAtMs: options.proposedAtMs ?? 1_000,
    ...(options.session === undefined ? {} : { session: options.session }),
    ...(options.storeBytesMax === undefined ? {} : { storeBytesMax: options.storeBytesMax }),
    ...(options.applyVersion === undefined ? {} : { applyVersion: options.applyVersion }),
    ...(options.authRevision === undefined ? {} : { authRevision: options.authRevision }),
  };
  return { type: 'normal', index: options.index, term: options.term ?? 1, data: encodeCommand(command) };
}

export function recordingLogger(): StorageLogger & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    warnings,
    info() {},
    warn(_fields, message) {
      warnings.push(message);
    },
    error() {},
  };
}

/** Opens the raw LevelDB under a store, to damage it the way a disk or a bug would. */
export async function withRawDb(dir: string, work: (db: Level<Uint8Array, Uint8Array>) => Promise<void>): Promise<void> {
  const db = new Level<Uint8Array, Uint8Array>(dir, { keyEncoding: 'view', valueEncoding: 'view' });
  await db.open();
  try {
    await work(db);
  } finally {
    await db.close();
  }
}

/**
 * Rewrites a closed state as a release before record checksums stored it (record format 1):
 * every record without its seal, the meta without its format.
 */
export async function unsealState(db: Level<Uint8Array, Uint8Array>): Promise<void> {
  const operations: { type: 'put'; key: Uint8Array; value: Uint8Array }[] = [];
  for await (const [key, value] of db.iterator()) {
    if (value[0] !== sealMarker) continue;
    let payload = value.subarray(sealHeaderBytes);
    if (key.byteLength === 1 && key[0] === 0x6d) {
      const meta = packr.unpack(payload) as Record<string, unknown>;
      delete meta['recordFormat'];
      payload = packr.pack(meta);
    }
    operations.push({ type: 'put', key, value: Uint8Array.from(payload) });
  }
  await db.batch(operations);
}

/** What stateMachineFixture gives each test. */
export interface StateMachineFixture {
  /** The test's temp dir; the state machine lives in `${dir}/kv`. */
  readonly dir: string;
  /** The open state machine (reopen replaces it). */
  readonly sm: KvStateMachine;
  /** Opens the state machine at `${dir}/kv` with these options (the caller closes it). */
  open(options?: Partial<StateMachineOptions>): Promise<KvStateMachine>;
  /** Closes the state machine and opens it again. */
  reopen(options?: Partial<StateMachineOptions>): Promise<void>;
  /** Applies one command at the next index and returns its result. */
  run(operation: KvOperation, extra?: Omit<Parameters<typeof commandEntry>[0], 'index' | 'operation'>): Promise<ApplyResult>;
  /** The index the next command gets. */
  nextIndex(): number;
  /** The index the next command gets, for a command applied without `run`. */
  takeIndex(): number;
}

/**
 * A state machine in a fresh temp dir for every test of the calling describe block, closed and
 * removed after it. `defaults` go into every command `run` applies.
 */
export function stateMachineFixture(defaults: Omit<Parameters<typeof commandEntry>[0], 'index' | 'operation'> = {}): StateMachineFixture {
  let dir = '';
  let remove: () => Promise<void> = async () => {};
  let sm: KvStateMachine | undefined;
  let next = 1;
  const open = (options: Partial<StateMachineOptions> = {}) => KvStateMachine.open({ dir: `${dir}/kv`, ...options });
  const fixture: StateMachineFixture = {
    get dir() {
      return dir;
    },
    get sm() {
      if (sm === undefined) throw new Error('the state machine is not open');
      return sm;
    },
    open,
    async reopen(options = {}) {
      await sm?.close();
      sm = undefined;
      sm = await open(options);
    },
    async run(operation, extra = {}) {
      const [result] = await fixture.sm.apply([commandEntry({ index: next++, operation, ...defaults, ...extra })]);
      if (result === undefined) throw new Error('apply gave no result');
      return result;
    },
    nextIndex: () => next,
    takeIndex: () => next++,
  };
  beforeEach(async () => {
    ({ dir, remove } = await makeTempDir());
    sm = await open();
    next = 1;
  });
  afterEach(async () => {
    await sm?.close();
    sm = undefined;
    await remove();
  });
  return fixture;
}
