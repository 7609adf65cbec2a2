import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Level } from 'level';
import { encodeCommand, type KvCommand, type KvOperation, type StorageLogger } from '../src/index.js';
import type { Entry } from '../src/raft-types.js';

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
}): Entry {
  const command: KvCommand = {
    operation: options.operation,
    proposedAtMs: options.proposedAtMs ?? 1_000,
    ...(options.session === undefined ? {} : { session: options.session }),
    ...(options.storeBytesMax === undefined ? {} : { storeBytesMax: options.storeBytesMax }),
    ...(options.applyVersion === undefined ? {} : { applyVersion: options.applyVersion }),
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
