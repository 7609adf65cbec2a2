/**
 * Cost of a snapshot sent to a member that catches up: how long the sender takes to read and
 * encode the whole state (openSnapshotReader().chunks()), and the receiver to check and store it
 * (restoreSnapshot), each with its process CPU, apart from any network.
 *
 *   node packages/storage/dist/bench-snapshot.js [--keys N]
 *
 * Workload: N distinct 16-byte keys with 256-byte values (the catch-up target's shape), put
 * through apply in batches of 500 entries.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { APPLY_VERSION_LATEST } from './apply-version.js';
import { encodeCommand, type KvCommand } from './command.js';
import type { Entry } from './raft-types.js';
import { KvStateMachine } from './state-machine.js';

const valueBytes = 256;
const applyBatchEntries = 500;

function parseKeys(argv: readonly string[]): number {
  if (argv.length === 0) return 300_000;
  const keys = Number(argv[1]);
  if (argv[0] !== '--keys' || !Number.isSafeInteger(keys) || keys <= 0) throw new Error('usage: bench-snapshot [--keys N]');
  return keys;
}

function putEntry(index: number, value: Uint8Array): Entry {
  const command: KvCommand = {
    operation: { type: 'put', key: Buffer.from(`key-${index.toString().padStart(12, '0')}`, 'latin1'), value },
    proposedAtMs: 1_700_000_000_000 + index,
    storeBytesMax: 8 * 1024 ** 3,
    applyVersion: APPLY_VERSION_LATEST,
  };
  return { type: 'normal', index, term: 1, data: encodeCommand(command) };
}

async function fill(sm: KvStateMachine, keys: number): Promise<void> {
  const value = Buffer.alloc(valueBytes, 0x61);
  for (let first = 1; first <= keys; first += applyBatchEntries) {
    const entries: Entry[] = [];
    for (let index = first; index < Math.min(first + applyBatchEntries, keys + 1); index++) entries.push(putEntry(index, value));
    await sm.apply(entries);
  }
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

async function main(): Promise<void> {
  const keys = parseKeys(process.argv.slice(2));
  const root = await mkdtemp(join(tmpdir(), 'holdfast-bench-snapshot-'));
  try {
    const sender = await KvStateMachine.open({ dir: join(root, 'sender') });
    await fill(sender, keys);
    const reader = await sender.openSnapshotReader();
    const chunks: Uint8Array[] = [];
    let cpu = process.cpuUsage();
    let began = performance.now();
    for await (const chunk of reader.chunks()) chunks.push(chunk);
    const sendMs = performance.now() - began;
    const sendCpuMs = cpuMs(cpu);
    await reader.close();
    await sender.close();
    const bytes = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    const receiver = await KvStateMachine.open({ dir: join(root, 'receiver') });
    cpu = process.cpuUsage();
    began = performance.now();
    await receiver.restoreSnapshot(
      (async function* () {
        yield* chunks;
      })(),
    );
    const receiveMs = performance.now() - began;
    const receiveCpuMs = cpuMs(cpu);
    await receiver.close();
    console.log(
      `${keys} keys, ${chunks.length} chunks, ${(bytes / 1024 ** 2).toFixed(1)} MiB: ` +
        `send ${sendMs.toFixed(0)} ms (cpu ${sendCpuMs.toFixed(0)} ms, ${((sendCpuMs * 1000) / keys).toFixed(1)} us/key), ` +
        `receive ${receiveMs.toFixed(0)} ms (cpu ${receiveCpuMs.toFixed(0)} ms, ${((receiveCpuMs * 1000) / keys).toFixed(1)} us/key)`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
