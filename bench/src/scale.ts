import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient, op } from '@holdfast/client';
import { Prng } from '@holdfast/raft';
import { LocalCluster } from '@holdfast/server';
import { Command, InvalidArgumentError } from 'commander';
import { countKeysServedBy, ETCD_INSTALL_HINT, EtcdKv, EtcdTarget, etcdInstalled } from './etcd.js';
import { ProxyNetwork } from './proxy.js';
import { sleep } from './target.js';

/**
 * What a store costs at scale, holdfast and etcd back to back on the same machine: N distinct keys
 * (16-byte keys, 256-byte values) loaded at concurrency 64 into a 3-member cluster; the put rate;
 * each member's resident memory once they hold them; the CPU an idle member spends (empty and
 * loaded); and how long a member added with empty data takes to catch up, with its peak memory.
 */

const KEY_BYTES = 16;
const VALUE_BYTES = 256;
const LOAD_CONCURRENCY = 64;
/** How long catch-up may take before the run gives up on it. */
const CATCHUP_TIMEOUT_MS = 300_000;
const CATCHUP_POLL_MS = 100;
/** Operations in one transaction that both holdfast (batchOpsMax) and etcd (--max-txn-ops) take by default. */
const LOAD_BATCH_MAX = 128;

export interface MemoryFigures {
  /** Resident now and the peak so far (VmRSS, VmHWM), in MiB. */
  rssMiB: number;
  peakRssMiB: number;
}

export interface ScaleRow {
  target: 'holdfast' | 'etcd';
  keys: number;
  /** Keys written per request while loading (1: plain puts, the figure compared). */
  loadBatch: number;
  concurrency: number;
  putsPerSecond: number;
  /** CPU (user + system) of all members together per key loaded, in microseconds. */
  serverCpuUsPerPut: number;
  /** One per member, in member order. */
  memory: MemoryFigures[];
  /** CPU milliseconds a second per member while no request arrives, on an empty and on a loaded cluster. */
  idleEmptyCpuMsPerS: number[];
  idleLoadedCpuMsPerS: number[];
  /** A member added with empty data: seconds until it holds every key, and its peak resident MiB. */
  catchupSeconds: number;
  catchupPeakRssMiB: number;
  /** The machine's 1-minute load average before and after the run. */
  loadBefore: number;
  loadAfter: number;
}

interface Cluster {
  put(key: string, value: string): Promise<void>;
  /** Puts every key in one transaction. */
  putMany(keys: readonly string[], value: string): Promise<void>;
  memberPids(): number[];
  /** Per member, how its memory divides (holdfast: V8 heap and memory outside it, from /metrics). */
  memoryBreakdown?(): Promise<string[]>;
  /** Adds (or wipes and rejoins) a member; resolves with its pid and a probe that says when it holds `keys`. */
  addEmptyMember(keys: number): Promise<{ pid: number; caughtUp: () => Promise<boolean> }>;
  close(): Promise<void>;
}

function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match === null ? Number.NaN : Number(match[1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

export function memoryOf(pid: number): MemoryFigures {
  return { rssMiB: statusField(pid, 'VmRSS'), peakRssMiB: statusField(pid, 'VmHWM') };
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times. */
const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU of a process so far, in milliseconds (NaN where /proc is missing). */
export function processCpuMs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** CPU milliseconds a second each process spends over `seconds` in which nothing is asked of it. */
export async function idleCpuMsPerSecond(pids: readonly number[], seconds: number): Promise<number[]> {
  const before = pids.map(processCpuMs);
  const startMs = performance.now();
  await sleep(seconds * 1000);
  const elapsedS = (performance.now() - startMs) / 1000;
  return pids.map((pid, i) => (processCpuMs(pid) - (before[i] ?? Number.NaN)) / elapsedS);
}

export function keyOf(index: number): string {
  return `s${String(index).padStart(KEY_BYTES - 1, '0')}`;
}

async function load(cluster: Cluster, keys: number, batch: number, concurrency: number): Promise<{ putsPerSecond: number; serverCpuUsPerPut: number }> {
  const value = 'v'.repeat(VALUE_BYTES);
  const pids = cluster.memberPids();
  const cpuBefore = pids.map(processCpuMs);
  let next = 0;
  let lastReportMs = performance.now();
  let lastReportKeys = 0;
  const startMs = performance.now();
  const worker = async (): Promise<void> => {
    while (next < keys) {
      const first = next;
      next = Math.min(keys, next + batch);
      if (batch === 1) await cluster.put(keyOf(first), value);
      else await cluster.putMany(Array.from({ length: next - first }, (_, i) => keyOf(first + i)), value);
      const nowMs = performance.now();
      if (nowMs - lastReportMs > 10_000) {
        // The rate since the last line shows how it changes with the keys held; the mean hides it.
        const windowRate = (next - lastReportKeys) / ((nowMs - lastReportMs) / 1000);
        lastReportMs = nowMs;
        lastReportKeys = next;
        const rss = pids.map((pid) => memoryOf(pid).rssMiB.toFixed(0)).join(' / ');
        console.error(`  ${next} keys, ${(next / ((nowMs - startMs) / 1000)).toFixed(0)} puts/s (${windowRate.toFixed(0)} in the last 10 s), members' RSS MiB ${rss}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedS = (performance.now() - startMs) / 1000;
  const cpuMs = pids.reduce((sum, pid, i) => sum + processCpuMs(pid) - (cpuBefore[i] ?? Number.NaN), 0);
  return { putsPerSecond: keys / elapsedS, serverCpuUsPerPut: (cpuMs * 1000) / keys };
}

const BREAKDOWN_METRICS = [
  'nodejs_heap_size_used_bytes',
  'nodejs_heap_size_total_bytes',
  'nodejs_external_memory_bytes',
  'process_resident_memory_bytes',
] as const;

/** A member's V8 heap (used, total), its memory outside the heap and its RSS, in MiB, from its /metrics. */
async function memoryBreakdownOf(metricsAddress: string): Promise<string> {
  try {
    const text = await (await fetch(`http://${metricsAddress}/metrics`)).text();
    return BREAKDOWN_METRICS.map((name) => {
      const match = new RegExp(`^${name} (\\S+)`, 'm').exec(text);
      return `${name.replace(/^(nodejs|process)_/, '').replace(/_bytes$/, '')} ${match === null ? '-' : (Number(match[1]) / 1024 / 1024).toFixed(0)}`;
    }).join(', ');
  } catch (error) {
    return `no metrics: ${(error as Error).message}`;
  }
}

async function startHoldfast(dataDir: string, extraArgs: readonly string[]): Promise<Cluster> {
  const local = await LocalCluster.start({ dataDir, size: 3, clusterId: 'scale', extraArgs: () => extraArgs });
  await local.waitForLeader(30_000);
  const client = createClient({ endpoints: local.endpoints(), deadlineMs: 30_000 });
  const pidOf = (id: number): number => {
    const pid = local.pid(id);
    if (pid === undefined) throw new Error(`member ${id} is not running`);
    return pid;
  };
  return {
    put: async (key, value) => {
      await client.put(key, value);
    },
    putMany: async (keys, value) => {
      await client.txn({ success: keys.map((key) => op.put(key, value)) });
    },
    memberPids: () => local.members.filter((m) => !m.removed).map((m) => pidOf(m.id)),
    memoryBreakdown: () => Promise.all(local.members.filter((m) => !m.removed).map((m) => memoryBreakdownOf(m.metricsAddress))),
    addEmptyMember: async () => {
      const leader = await local.waitForLeader(30_000);
      const status = await local.status(leader.id);
      const own = status.members.find((m) => Number(m.member?.id) === leader.id);
      const commitIndex = Number(own?.commitIndex ?? 0);
      const member = await local.addMember({ promote: false });
      return {
        pid: pidOf(member.id),
        caughtUp: async () => {
          try {
            const answer = await local.call<{ members: { appliedIndex: string | number }[] }>(member.clientAddress, 'status', { localOnly: true }, 1000);
            return Number(answer.members[0]?.appliedIndex ?? 0) >= commitIndex;
          } catch {
            return false;
          }
        },
      };
    },
    close: async () => {
      client.close();
      await local.stop();
    },
  };
}

async function startEtcd(dataDir: string): Promise<Cluster> {
  const network = new ProxyNetwork({ prng: Prng.fromText('scale') });
  const target = new EtcdTarget({ proxied: false });
  await target.start({ network, runDir: dataDir, nodeCount: 3 });
  const leader = await target.findLeader();
  const leaderIndex = leader === undefined ? 0 : Number.parseInt(leader.slice(1), 10) - 1;
  const kv = new EtcdKv({ endpoints: target.directClientAddresses(), firstIndex: leaderIndex, deadlineMs: 30_000 });
  return {
    put: (key, value) => kv.put(key, value),
    putMany: (keys, value) => kv.putMany(keys, value),
    memberPids: () => target.serverPids(),
    addEmptyMember: async (keys) => {
      const currentLeader = await target.findLeader();
      const id = target.nodeIds().find((n) => n !== currentLeader) ?? 'n3';
      await target.wipeAndRejoin(id);
      const pid = target.serverPidOf(id);
      if (pid === undefined) throw new Error(`etcd ${id} did not start`);
      const address = target.directClientAddressOf(id);
      return {
        pid,
        caughtUp: async () => {
          try {
            return (await countKeysServedBy(address, 1000)) >= keys;
          } catch {
            return false;
          }
        },
      };
    },
    close: async () => {
      kv.close();
      await target.stop();
      await network.close();
    },
  };
}

async function measureCatchup(cluster: Cluster, keys: number): Promise<{ seconds: number; peakRssMiB: number }> {
  const startMs = performance.now();
  const added = await cluster.addEmptyMember(keys);
  while (!(await added.caughtUp())) {
    if (performance.now() - startMs > CATCHUP_TIMEOUT_MS) throw new Error(`the added member did not catch up ${keys} keys in ${CATCHUP_TIMEOUT_MS} ms`);
    await sleep(CATCHUP_POLL_MS);
  }
  return { seconds: (performance.now() - startMs) / 1000, peakRssMiB: memoryOf(added.pid).peakRssMiB };
}

export async function runScale(options: {
  target: 'holdfast' | 'etcd';
  keys: number;
  idleSeconds: number;
  catchup: boolean;
  loadBatch: number;
  /** Requests in flight while loading (64: the figure compared). */
  concurrency: number;
  /** holdfast only: extra flags for every member (memory options). */
  extraArgs: readonly string[];
}): Promise<ScaleRow> {
  const loadBefore = os.loadavg()[0] ?? Number.NaN;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `holdfast-scale-${options.target}-`));
  const cluster = options.target === 'etcd' ? await startEtcd(dataDir) : await startHoldfast(dataDir, options.extraArgs);
  try {
    await sleep(2000);
    const idleEmptyCpuMsPerS = options.idleSeconds > 0 ? await idleCpuMsPerSecond(cluster.memberPids(), options.idleSeconds) : [];
    console.error(`${options.target}: loading ${options.keys} keys at c=${options.concurrency}, ${options.loadBatch} a request`);
    const loaded = await load(cluster, options.keys, options.loadBatch, options.concurrency);
    const memory = cluster.memberPids().map(memoryOf);
    for (const line of (await cluster.memoryBreakdown?.()) ?? []) console.error(`  member memory MiB: ${line}`);
    await sleep(2000);
    const idleLoadedCpuMsPerS = options.idleSeconds > 0 ? await idleCpuMsPerSecond(cluster.memberPids(), options.idleSeconds) : [];
    const catchup = options.catchup ? await measureCatchup(cluster, options.keys) : { seconds: Number.NaN, peakRssMiB: Number.NaN };
    return {
      target: options.target,
      keys: options.keys,
      loadBatch: options.loadBatch,
      concurrency: options.concurrency,
      ...loaded,
      memory,
      idleEmptyCpuMsPerS,
      idleLoadedCpuMsPerS,
      catchupSeconds: catchup.seconds,
      catchupPeakRssMiB: catchup.peakRssMiB,
      loadBefore,
      loadAfter: os.loadavg()[0] ?? Number.NaN,
    };
  } finally {
    await cluster.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const fixed = (value: number, digits = 0): string => (Number.isFinite(value) ? value.toFixed(digits) : '-');
const list = (values: readonly number[], digits = 0): string => (values.length === 0 ? '-' : values.map((v) => fixed(v, digits)).join(' / '));

export function formatScale(rows: readonly ScaleRow[]): string {
  const lines = [
    '| target | keys | c | keys/request | puts/s | cpu us/put | RSS MiB per member | peak RSS MiB | idle cpu ms/s empty | idle cpu ms/s loaded | catch-up s | catch-up peak RSS MiB | load |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.target} | ${r.keys} | ${r.concurrency} | ${r.loadBatch} | ${fixed(r.putsPerSecond)} | ${fixed(r.serverCpuUsPerPut)} | ${list(r.memory.map((m) => m.rssMiB))} | ${list(r.memory.map((m) => m.peakRssMiB))} | ${list(r.idleEmptyCpuMsPerS, 1)} | ${list(r.idleLoadedCpuMsPerS, 1)} | ${fixed(r.catchupSeconds, 1)} | ${fixed(r.catchupPeakRssMiB)} | ${fixed(r.loadBefore, 2)} → ${fixed(r.loadAfter, 2)} |`,
    );
  }
  return lines.join('\n');
}

const median = (values: readonly number[]): number => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** Median over the pairs of holdfast's figure divided by etcd's. */
export function formatRatios(rows: readonly ScaleRow[]): string {
  const holdfast = rows.filter((r) => r.target === 'holdfast');
  const etcd = rows.filter((r) => r.target === 'etcd');
  const pairs = Math.min(holdfast.length, etcd.length);
  if (pairs === 0) return '';
  const ratio = (figure: (r: ScaleRow) => number): string => {
    const ratios = Array.from({ length: pairs }, (_, i) => figure(holdfast[i] as ScaleRow) / figure(etcd[i] as ScaleRow));
    return `${fixed(median(ratios), 2)}x`;
  };
  const maxRss = (r: ScaleRow): number => Math.max(...r.memory.map((m) => m.rssMiB));
  const maxIdle = (r: ScaleRow): number => Math.max(...r.idleLoadedCpuMsPerS);
  return [
    `median of ${pairs} pair(s), holdfast / etcd:`,
    `  put rate ${ratio((r) => r.putsPerSecond)}, server cpu per put ${ratio((r) => r.serverCpuUsPerPut)}, largest member RSS ${ratio(maxRss)}, idle cpu (loaded, busiest member) ${ratio(maxIdle)},`,
    `  catch-up time ${ratio((r) => r.catchupSeconds)}, catch-up peak RSS ${ratio((r) => r.catchupPeakRssMiB)}`,
  ].join('\n');
}

function positiveInteger(text: string): number {
  const n = Number.parseInt(text, 10);
  if (!(n > 0) || String(n) !== text.replace(/_/g, '')) throw new InvalidArgumentError(`not a positive integer: ${text}`);
  return n;
}

async function main(): Promise<number> {
  const command = new Command('scale')
    .description('load N distinct keys into holdfast and etcd back to back: put rate, memory, idle CPU, catch-up of an added member')
    .option('--keys <n>', 'distinct keys to load (16 B keys, 256 B values)', (text) => positiveInteger(text.replace(/_/g, '')), 300_000)
    .option('--targets <list>', 'holdfast,etcd or either alone', 'etcd,holdfast')
    .option('--pairs <n>', 'interleaved runs of each target', positiveInteger, 1)
    .option('--idle-seconds <n>', 'seconds of idle CPU measured (0: none)', (text) => Number.parseInt(text, 10), 10)
    .option('--no-catchup', 'skip adding a member with empty data')
    .option('--concurrency <n>', 'requests in flight while loading (64 is the figure compared; lower it with --load-batch)', positiveInteger, LOAD_CONCURRENCY)
    .option('--load-batch <n>', 'keys per request while loading (a transaction; 1: plain puts, the figure to compare)', positiveInteger, 1)
    .option('--holdfast-args <flags>', 'extra flags for every holdfast member, space-separated', '')
    .parse(process.argv.slice(2), { from: 'user' });
  const opts = command.opts<{ keys: number; targets: string; pairs: number; idleSeconds: number; catchup: boolean; loadBatch: number; concurrency: number; holdfastArgs: string }>();
  if (opts.loadBatch > LOAD_BATCH_MAX) {
    console.error(`--load-batch is at most ${LOAD_BATCH_MAX} (operations in one transaction, both stores)`);
    return 2;
  }
  const targets = opts.targets.split(',').map((t) => t.trim());
  for (const t of targets) {
    if (t !== 'holdfast' && t !== 'etcd') {
      console.error(`unknown target ${t}`);
      return 2;
    }
  }
  if (targets.includes('etcd') && !etcdInstalled()) {
    console.error(ETCD_INSTALL_HINT);
    return 2;
  }
  const extraArgs = opts.holdfastArgs.split(' ').filter((a) => a !== '');
  const rows: ScaleRow[] = [];
  for (let pair = 0; pair < opts.pairs; pair += 1) {
    for (const target of targets as ('holdfast' | 'etcd')[]) {
      const row = await runScale({ target, keys: opts.keys, idleSeconds: opts.idleSeconds, catchup: opts.catchup, loadBatch: opts.loadBatch, concurrency: opts.concurrency, extraArgs });
      rows.push(row);
      console.error(formatScale([row]));
    }
  }
  console.log(formatScale(rows));
  const ratios = formatRatios(rows);
  if (ratios !== '') console.log(ratios);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  main().then(
    (status) => process.exit(status),
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exit(2);
    },
  );
}
