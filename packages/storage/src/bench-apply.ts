/**
 * Throughput of the two write paths a node runs for every committed write:
 * KvStateMachine.apply (puts with sessions) and LevelLogStorage.save (synced).
 *
 *   node packages/storage/dist/bench-apply.js [--entries N] [--keys N] [--cache-bytes N] [--batch N ...]
 *
 * Workload: 16-byte keys drawn from a key space of --keys (20,000 unless given; a larger one
 * makes more puts create keys, a smaller one more overwrite them), 256-byte values, 64 clients numbering
 * their writes 1, 2, 3, ... Every figure is from a fresh database in a temp directory.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { APPLY_VERSION_LATEST } from './apply-version.js';
import { encodeCommand, type KvCommand } from './command.js';
import { LevelLogStorage } from './log-store.js';
import type { Entry } from './raft-types.js';
import { KvStateMachine } from './state-machine.js';

const keyBytes = 16;
const valueBytes = 256;
const clientCount = 64;

interface BenchOptions {
  readonly entriesPerCase: number;
  /** Distinct keys the puts draw from. */
  readonly keySpace: number;
  readonly keyMetaCacheBytesMax: number | undefined;
  /** Run only these apply batch sizes (all of them when empty), and skip the log when set. */
  readonly applyBatchEntries: readonly number[];
}

function parseOptions(argv: readonly string[]): BenchOptions {
  let entriesPerCase = 20_480;
  let keySpace = 20_000;
  let keyMetaCacheBytesMax: number | undefined;
  const applyBatchEntries: number[] = [];
  for (let position = 0; position < argv.length; position += 2) {
    const value = Number(argv[position + 1]);
    if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${argv[position]} needs a whole number`);
    if (argv[position] === '--entries') entriesPerCase = value;
    else if (argv[position] === '--keys' && value > 0) keySpace = value;
    else if (argv[position] === '--cache-bytes') keyMetaCacheBytesMax = value;
    else if (argv[position] === '--batch') applyBatchEntries.push(value);
    else throw new Error(`unknown option ${argv[position]}; use --entries N, --keys N (> 0), --cache-bytes N, --batch N`);
  }
  return { entriesPerCase, keySpace, keyMetaCacheBytesMax, applyBatchEntries };
}

/** A small seeded generator (mulberry32), so every run applies the same log. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function makeKey(number: number): Uint8Array {
  return Buffer.from(`key-${number.toString().padStart(keyBytes - 4, '0')}`, 'latin1');
}

/** Encoded put commands with sessions, as the server would propose them. */
function makePutLog(count: number, options: { seed: number; keySpace: number }): Entry[] {
  const random = seededRandom(options.seed);
  const sequences = new Array<number>(clientCount).fill(0);
  const value = Buffer.alloc(valueBytes, 0x61);
  const entries: Entry[] = [];
  for (let index = 1; index <= count; index++) {
    const client = index % clientCount;
    sequences[client] = (sequences[client] ?? 0) + 1;
    const command: KvCommand = {
      operation: { type: 'put', key: makeKey(Math.floor(random() * options.keySpace)), value },
      session: { clientId: `client-${client}`, sequence: sequences[client] ?? 1 },
      proposedAtMs: 1_700_000_000_000 + index,
      // The server's default store quota, which every proposed write carries (never reached here),
      // at the version that enforces it: the quota check runs on every write.
      storeBytesMax: 8 * 1024 ** 3,
      applyVersion: APPLY_VERSION_LATEST,
    };
    entries.push({ type: 'normal', index, term: 1, data: encodeCommand(command) });
  }
  return entries;
}

/**
 * CPU time of this process's main thread so far, in microseconds (from /proc; NaN elsewhere).
 * It leaves out LevelDB's own threads (compaction, writes), whose share swings from run to run,
 * so it is the steadiest figure for the JavaScript side of apply.
 */
function mainThreadCpuUs(): number {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / 100; // USER_HZ is 100
  } catch {
    return Number.NaN;
  }
}

interface Figures {
  readonly entriesPerSecond: number;
  /** CPU time of the whole process (main thread and LevelDB's threads) per entry: steadier than wall time on a busy machine. */
  readonly cpuUsPerEntry: number;
  /** The main thread's share of it. */
  readonly mainThreadCpuUsPerEntry: number;
  readonly batchMsP50: number;
  readonly batchMsP99: number;
}

function summarize(batchMs: number[], entryCount: number, cpu: NodeJS.CpuUsage, mainThreadUs: number): Figures {
  const totalMs = batchMs.reduce((sum, ms) => sum + ms, 0);
  const sorted = [...batchMs].sort((a, b) => a - b);
  const at = (fraction: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
  return {
    entriesPerSecond: (entryCount / totalMs) * 1000,
    cpuUsPerEntry: (cpu.user + cpu.system) / entryCount,
    mainThreadCpuUsPerEntry: mainThreadUs / entryCount,
    batchMsP50: at(0.5),
    batchMsP99: at(0.99),
  };
}

function print(label: string, figures: Figures): void {
  const rate = Math.round(figures.entriesPerSecond).toString().padStart(8);
  console.log(
    `${label.padEnd(34)} ${rate} entries/s   cpu ${figures.cpuUsPerEntry.toFixed(1).padStart(6)} us/entry (main thread ${figures.mainThreadCpuUsPerEntry.toFixed(1).padStart(6)})   batch p50 ${figures.batchMsP50.toFixed(3)} ms   p99 ${figures.batchMsP99.toFixed(3)} ms`,
  );
}

async function benchApply(root: string, options: { batchEntries: number; log: Entry[]; keyMetaCacheBytesMax: number | undefined }): Promise<Figures> {
  const dir = join(root, `kv-${options.batchEntries}`);
  const cache = options.keyMetaCacheBytesMax === undefined ? {} : { keyMetaCacheBytesMax: options.keyMetaCacheBytesMax };
  const sm = await KvStateMachine.open({ dir, ...cache });
  try {
    const batchMs: number[] = [];
    const cpuBefore = process.cpuUsage();
    const mainBefore = mainThreadCpuUs();
    for (let start = 0; start < options.log.length; start += options.batchEntries) {
      const batch = options.log.slice(start, start + options.batchEntries);
      const began = performance.now();
      await sm.apply(batch);
      batchMs.push(performance.now() - began);
    }
    return summarize(batchMs, options.log.length, process.cpuUsage(cpuBefore), mainThreadCpuUs() - mainBefore);
  } finally {
    await sm.close();
  }
}

async function benchSave(root: string, options: { batchEntries: number; log: Entry[] }): Promise<Figures> {
  const log = await LevelLogStorage.open({ dir: join(root, `log-${options.batchEntries}`) });
  try {
    const batchMs: number[] = [];
    const cpuBefore = process.cpuUsage();
    const mainBefore = mainThreadCpuUs();
    for (let start = 0; start < options.log.length; start += options.batchEntries) {
      const entries = options.log.slice(start, start + options.batchEntries);
      const last = entries[entries.length - 1];
      const hardState = { term: 1, vote: 1, commit: last?.index ?? 0 };
      const began = performance.now();
      await log.save({ entries, hardState, sync: true });
      batchMs.push(performance.now() - began);
    }
    return summarize(batchMs, options.log.length, process.cpuUsage(cpuBefore), mainThreadCpuUs() - mainBefore);
  } finally {
    await log.close();
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const root = await mkdtemp(join(tmpdir(), 'holdfast-bench-apply-'));
  try {
    console.log(
      `apply: puts with sessions, ${keyBytes}-byte keys of ${options.keySpace}, ${valueBytes}-byte values, ${clientCount} clients` +
        (options.keyMetaCacheBytesMax === undefined ? '' : `, keyMetaCacheBytesMax ${options.keyMetaCacheBytesMax}`),
    );
    const applyBatches = options.applyBatchEntries.length > 0 ? options.applyBatchEntries : [1, 16, 128, 512];
    for (const batchEntries of applyBatches) {
      // Batches of one are bound by per-call cost: fewer entries keep the run short.
      const count = batchEntries === 1 ? Math.min(options.entriesPerCase, 5_000) : options.entriesPerCase;
      const log = makePutLog(count, { seed: 7, keySpace: options.keySpace });
      const cacheBytes = options.keyMetaCacheBytesMax;
      print(`apply batch ${batchEntries}`, await benchApply(root, { batchEntries, log, keyMetaCacheBytesMax: cacheBytes }));
    }
    if (options.applyBatchEntries.length > 0) return;
    console.log('log save: synced, one hard state per save');
    for (const batchEntries of [1, 16, 128]) {
      const count = Math.min(options.entriesPerCase, batchEntries * 300);
      print(`save batch ${batchEntries}`, await benchSave(root, { batchEntries, log: makePutLog(count, { seed: 11, keySpace: options.keySpace }) }));
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

await main();
