/**
 * Cost of a snapshot sent to a member that catches up: how long the sender takes to read and
 * encode the whole state (openSnapshotReader().chunks()), and the receiver to check and store it
 * (restoreSnapshot), each with its process CPU, apart from any network.
 *
 *   node packages/storage/dist/bench-snapshot.js [--keys N] [--rounds N]
 *
 * Workload: N distinct 16-byte keys with 256-byte values (the catch-up target's shape), put
 * through apply in batches of 500 entries. Each round sends and receives the state once; the
 * fastest round is printed (the least disturbed by other work on the machine) beside the slowest.
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

function parseOptions(argv: readonly string[]): { keys: number; rounds: number } {
  const options = { keys: 300_000, rounds: 1 };
  for (let position = 0; position < argv.length; position += 2) {
    const value = Number(argv[position + 1]);
    if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${argv[position]} needs a positive whole number`);
    if (argv[position] === '--keys') options.keys = value;
    else if (argv[position] === '--rounds') options.rounds = value;
    else throw new Error(`unknown option ${argv[position]}; use --keys N, --rounds N`);
  }
  return options;
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

interface Round {
  sendMs: number;
  sendCpuMs: number;
  receiveMs: number;
  receiveCpuMs: number;
  chunks: number;
  bytes: number;
}

async function round(sender: KvStateMachine, receiverDir: string): Promise<Round> {
  const reader = await sender.openSnapshotReader();
  const chunks: Uint8Array[] = [];
  let cpu = process.cpuUsage();
  let began = performance.now();
  for await (const chunk of reader.chunks()) chunks.push(chunk);
  const sendMs = performance.now() - began;
  const sendCpuMs = cpuMs(cpu);
  await reader.close();
  const receiver = await KvStateMachine.open({ dir: receiverDir });
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
  await rm(receiverDir, { recursive: true, force: true });
  return { sendMs, sendCpuMs, receiveMs, receiveCpuMs, chunks: chunks.length, bytes: chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0) };
}

async function main(): Promise<void> {
  const { keys, rounds } = parseOptions(process.argv.slice(2));
  const root = await mkdtemp(join(tmpdir(), 'holdfast-bench-snapshot-'));
  try {
    const sender = await KvStateMachine.open({ dir: join(root, 'sender') });
    await fill(sender, keys);
    const results: Round[] = [];
    for (let n = 0; n < rounds; n++) results.push(await round(sender, join(root, `receiver-${n}`)));
    await sender.close();
    const first = results[0];
    if (first === undefined) return;
    const range = (pick: (r: Round) => number): string => {
      const values = results.map(pick);
      return `${Math.min(...values).toFixed(0)}${rounds > 1 ? `-${Math.max(...values).toFixed(0)}` : ''}`;
    };
    const perKey = (pick: (r: Round) => number): string => `${((Math.min(...results.map(pick)) * 1000) / keys).toFixed(1)}`;
    console.log(
      `${keys} keys, ${first.chunks} chunks, ${(first.bytes / 1024 ** 2).toFixed(1)} MiB, ${rounds} round(s): ` +
        `send ${range((r) => r.sendMs)} ms (cpu ${range((r) => r.sendCpuMs)} ms, best ${perKey((r) => r.sendCpuMs)} us/key), ` +
        `receive ${range((r) => r.receiveMs)} ms (cpu ${range((r) => r.receiveCpuMs)} ms, best ${perKey((r) => r.receiveCpuMs)} us/key)`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
