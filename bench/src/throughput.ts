import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createClient, type HoldfastClient } from '@holdfast/client';
import { Prng } from '@holdfast/raft';
import { LocalCluster } from '@holdfast/server';
import { Command, InvalidArgumentError, Option } from 'commander';
import hdr from 'hdr-histogram-js';
import { ETCD_INSTALL_HINT, EtcdKv, EtcdTarget, etcdInstalled } from './etcd.js';
import { ProxyNetwork } from './proxy.js';
import { formatPairs, type ThroughputPair } from './throughput-pairs.js';

/**
 * Raw throughput of a local 3-node cluster: puts, then linearizable gets of the same keys, at
 * concurrency 1 and 64, 16-byte keys and 256-byte values, no proxies and no faults.
 */

const KEY_BYTES = 16;
const VALUE_BYTES = 256;
const CONCURRENCIES = [1, 64] as const;
const WARMUP_OPERATIONS = 20_000;
type PeerTransport = 'tcp' | 'grpc';

interface Store {
  /** Opens watches that stay open while the steps run (holdfast only); see runThroughput's `watchers`. */
  openWatches?(count: number): { told: () => number; close: () => void };
  put(key: string, value: string): Promise<void>;
  get(key: string): Promise<void>;
  /** The server processes, whose CPU time each step reports. */
  serverPids(): number[];
  close(): Promise<void>;
}

export interface ThroughputRow {
  target: string;
  operation: 'put' | 'get';
  concurrency: number;
  operations: number;
  opsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /**
   * CPU time per operation (user + system, all threads) of the server processes together and of
   * this process (the client). On two shared cores the throughput swings with the machine's load;
   * CPU per operation is the steadier figure to compare builds by. NaN where /proc is missing.
   */
  serverCpuUsPerOp: number;
  clientCpuUsPerOp: number;
}

/** User + system CPU time of a process so far, in microseconds (from /proc; NaN elsewhere). */
function processCpuUs(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1_000_000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times (100 on every common build). */
const CLOCK_TICKS_PER_SECOND = 100;

function keyOf(index: number): string {
  return `k${String(index).padStart(KEY_BYTES - 1, '0')}`;
}

async function measure(options: {
  store: Store;
  operation: 'put' | 'get';
  concurrency: number;
  operations: number;
  value: string;
}): Promise<Omit<ThroughputRow, 'target'>> {
  const { store, operation, concurrency, operations, value } = options;
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: 3 });
  let next = 0;
  const pids = store.serverPids();
  const serverCpuBefore = pids.map(processCpuUs);
  const clientCpuBefore = process.cpuUsage();
  const startMs = performance.now();
  const worker = async (): Promise<void> => {
    while (next < operations) {
      const key = keyOf(next);
      next += 1;
      const t0 = performance.now();
      if (operation === 'put') await store.put(key, value);
      else await store.get(key);
      histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsedS = (performance.now() - startMs) / 1000;
  const clientCpu = process.cpuUsage(clientCpuBefore);
  const serverCpuUs = pids.reduce((sum, pid, i) => sum + processCpuUs(pid) - (serverCpuBefore[i] ?? Number.NaN), 0);
  const row = {
    operation,
    concurrency,
    operations,
    opsPerSecond: operations / elapsedS,
    p50Ms: histogram.getValueAtPercentile(50) / 1000,
    p99Ms: histogram.getValueAtPercentile(99) / 1000,
    serverCpuUsPerOp: serverCpuUs / operations,
    clientCpuUsPerOp: (clientCpu.user + clientCpu.system) / operations,
  };
  histogram.destroy();
  return row;
}

/**
 * The test certificates of packages/server (node.pem names 127.0.0.1): enough to measure what TLS
 * costs; never for a real deployment.
 */
const TEST_TLS_DIR = fileURLToPath(new URL('../../packages/server/test/fixtures/tls/', import.meta.url));

/** The measuring client's user with --auth: readwrite on every key (one grant checked per call). */
const AUTH_USER = { user: 'throughput', password: 'throughput-password' };

/** Users, roles and auth on, through a client of a cluster with auth still off. */
async function enableAuth(client: HoldfastClient): Promise<void> {
  await client.auth.roleAdd('root');
  await client.auth.userAdd('root', 'root-password');
  await client.auth.userGrantRole('root', 'root');
  await client.auth.roleAdd('writer');
  await client.auth.roleGrant('writer', { type: 'keys', key: '\u0000', rangeEnd: '\u0000', access: 'readwrite' });
  await client.auth.userAdd(AUTH_USER.user, AUTH_USER.password);
  await client.auth.userGrantRole(AUTH_USER.user, 'writer');
  await client.auth.enable();
}

async function startHoldfast(dataDir: string, tls: boolean, peerTransport: PeerTransport, auth = false): Promise<Store> {
  const files = { certFile: path.join(TEST_TLS_DIR, 'node.pem'), keyFile: path.join(TEST_TLS_DIR, 'node-key.pem'), caFile: path.join(TEST_TLS_DIR, 'ca.pem') };
  const cluster = await LocalCluster.start({
    dataDir,
    size: 3,
    clusterId: 'throughput',
    extraArgs: () => ['--peer-transport', peerTransport],
    ...(tls ? { tls: files } : {}),
  });
  await cluster.waitForLeader(30_000);
  if (auth) {
    const setup = createClient({ endpoints: cluster.endpoints(), deadlineMs: 10_000, ...(tls ? { tls: { ca: fs.readFileSync(files.caFile) } } : {}) });
    await enableAuth(setup).finally(() => setup.close());
  }
  const client = createClient({
    endpoints: cluster.endpoints(),
    deadlineMs: 10_000,
    ...(tls ? { tls: { ca: fs.readFileSync(files.caFile) } } : {}),
    ...(auth ? { credentials: AUTH_USER } : {}),
  });
  return {
    openWatches: (count) => {
      const watcher = createClient({
        endpoints: cluster.endpoints(),
        ...(tls ? { tls: { ca: fs.readFileSync(files.caFile) } } : {}),
        ...(auth ? { credentials: AUTH_USER } : {}),
      });
      let told = 0;
      // One watch over every key measured, the rest over prefixes no measured key has.
      const watches = Array.from({ length: count }, (_, i) => watcher.watch({ prefix: i === 0 ? 'k' : `other/${i}/` }));
      for (const watch of watches) {
        void (async () => {
          for await (const batch of watch) told += batch.events.length;
        })().catch(() => undefined);
      }
      return {
        told: () => told,
        close: () => {
          for (const watch of watches) watch.close();
          watcher.close();
        },
      };
    },
    put: async (key, value) => {
      await client.put(key, value);
    },
    get: async (key) => {
      await client.get(key);
    },
    serverPids: () => cluster.members.flatMap((m) => {
      const pid = cluster.pid(m.id);
      return pid === undefined ? [] : [pid];
    }),
    close: async () => {
      client.close();
      await cluster.stop();
    },
  };
}

async function startEtcd(dataDir: string): Promise<Store> {
  const network = new ProxyNetwork({ prng: Prng.fromText('throughput') });
  const target = new EtcdTarget({ proxied: false });
  await target.start({ network, runDir: dataDir, nodeCount: 3 });
  const leader = await target.findLeader();
  const endpoints = target.directClientAddresses();
  const leaderIndex = leader === undefined ? 0 : Number.parseInt(leader.slice(1), 10) - 1;
  // One grpc-js channel to the leader: unary calls, many in flight.
  const kv = new EtcdKv({ endpoints, firstIndex: leaderIndex, deadlineMs: 10_000 });
  return {
    put: (key, value) => kv.put(key, value),
    get: async (key) => {
      await kv.get(key);
    },
    serverPids: () => target.serverPids(),
    close: async () => {
      kv.close();
      await target.stop();
      await network.close();
    },
  };
}

export async function runThroughput(options: {
  target: 'holdfast' | 'etcd';
  operations: number;
  /** holdfast only: TLS between the nodes and to the client, with the test certificates. */
  tls?: boolean;
  /** holdfast only: auth on, the client logged in as a user granted readwrite on every key. */
  auth?: boolean;
  /** The link holdfast members dial each other with (the server's --peer-transport; default tcp). */
  peerTransport?: PeerTransport;
  /** Puts (at c=8) before anything is measured, and a quarter as many gets. Default 20,000. */
  warmupOperations?: number;
  /**
   * holdfast only: watches open during the whole run, through one more client: one over every key
   * written, the others over prefixes nothing written has (what the fan-out costs the nodes).
   */
  watchers?: number;
}): Promise<ThroughputRow[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `holdfast-throughput-${options.target}-`));
  const store = options.target === 'etcd' ? await startEtcd(dataDir) : await startHoldfast(dataDir, options.tls === true, options.peerTransport ?? 'tcp', options.auth === true);
  const labels = [...(options.tls === true ? ['tls'] : []), ...(options.auth === true ? ['auth'] : [])];
  const target = labels.length > 0 ? `${options.target} (${labels.join(', ')})` : options.target;
  const value = 'v'.repeat(VALUE_BYTES);
  const rows: ThroughputRow[] = [];
  const watches = (options.watchers ?? 0) > 0 ? store.openWatches?.(options.watchers ?? 0) : undefined;
  try {
    // Warm up connections, caches and, for holdfast, V8's optimizing compiler: on a cold process
    // a put at c=1 costs a third more CPU and takes a quarter longer than after 20,000 puts
    // (measured here), and the first step measured is put at c=1. A node serves for hours; the
    // steady state is the figure that matters. etcd gets the same warm-up.
    const warmupPuts = options.warmupOperations ?? WARMUP_OPERATIONS;
    await measure({ store, operation: 'put', concurrency: 8, operations: warmupPuts, value });
    await measure({ store, operation: 'get', concurrency: 8, operations: Math.ceil(warmupPuts / 4), value });
    for (const operation of ['put', 'get'] as const) {
      for (const concurrency of CONCURRENCIES) {
        const row = await measure({ store, operation, concurrency, operations: options.operations, value });
        rows.push({ target, ...row });
      }
    }
  } finally {
    if (watches !== undefined) {
      console.error(`the watch over every key was told ${watches.told()} changes`);
      watches.close();
    }
    await store.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return rows;
}

export function formatThroughput(rows: readonly ThroughputRow[]): string {
  const lines = [
    '| target | op | concurrency | ops | ops/s | p50 ms | p99 ms | cpu us/op servers | cpu us/op client |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  const us = (value: number): string => (Number.isFinite(value) ? value.toFixed(0) : '-');
  for (const r of rows) {
    lines.push(
      `| ${r.target} | ${r.operation} | ${r.concurrency} | ${r.operations} | ${r.opsPerSecond.toFixed(0)} | ${r.p50Ms.toFixed(3)} | ${r.p99Ms.toFixed(3)} | ${us(r.serverCpuUsPerOp)} | ${us(r.clientCpuUsPerOp)} |`,
    );
  }
  return lines.join('\n');
}

/** The machine's 1-minute load average (what `uptime` prints first). */
function loadAverage(): number {
  return os.loadavg()[0] ?? Number.NaN;
}

/**
 * Runs etcd and holdfast alternately, `pairs` times each, so that both see the same phases of a
 * shared machine's load, printing each run's table as it finishes and the median ratios at the end.
 */
async function runPairs(options: { pairs: number; operations: number; warmupOperations: number; peerTransport: PeerTransport }): Promise<ThroughputPair[]> {
  const pairs: ThroughputPair[] = [];
  for (let i = 1; i <= options.pairs; i += 1) {
    const etcdLoad = loadAverage();
    const etcd = await runThroughput({ target: 'etcd', operations: options.operations, warmupOperations: options.warmupOperations });
    console.log(`pair ${i} of ${options.pairs}, etcd (load ${etcdLoad.toFixed(2)}):\n${formatThroughput(etcd)}\n`);
    const holdfastLoad = loadAverage();
    const holdfast = await runThroughput({ target: 'holdfast', operations: options.operations, warmupOperations: options.warmupOperations, peerTransport: options.peerTransport });
    console.log(`pair ${i} of ${options.pairs}, holdfast (load ${holdfastLoad.toFixed(2)}):\n${formatThroughput(holdfast)}\n`);
    pairs.push({ etcd, holdfast, loadBefore: { etcd: etcdLoad, holdfast: holdfastLoad } });
  }
  console.log(formatPairs(pairs));
  return pairs;
}

async function main(): Promise<number> {
  const command = new Command('throughput')
    .description('puts and linearizable gets against a local 3-node cluster at concurrency 1 and 64')
    .addOption(new Option('--target <t>', 'store').choices(['holdfast', 'etcd']).default('holdfast'))
    .option('--ops <n>', 'operations per (op, concurrency) step', (text) => {
      const n = Number.parseInt(text, 10);
      if (!(n > 0)) throw new InvalidArgumentError(`not a positive integer: ${text}`);
      return n;
    }, 5000)
    .addOption(new Option('--peer-transport <link>', 'holdfast: the link members dial each other with').choices(['tcp', 'grpc']).default('tcp'))
    .option('--tls', 'holdfast over TLS (nodes and client), with the test certificates')
    .option('--auth', 'holdfast with auth on: the client logs in as a user granted readwrite on every key')
    .option('--watchers <n>', 'holdfast: watches open during the run (one over every key written, the rest elsewhere)', (text) => {
      const n = Number.parseInt(text, 10);
      if (!(n >= 0)) throw new InvalidArgumentError(`not a non-negative integer: ${text}`);
      return n;
    }, 0)
    .option('--warmup <n>', 'puts at c=8 before measuring (and a quarter as many gets)', (text) => {
      const n = Number.parseInt(text, 10);
      if (!(n >= 0)) throw new InvalidArgumentError(`not a non-negative integer: ${text}`);
      return n;
    }, WARMUP_OPERATIONS)
    .option('--pairs <n>', 'interleaved etcd/holdfast runs (etcd first in each pair); prints both tables and the median ratios', (text) => {
      const n = Number.parseInt(text, 10);
      if (!(n > 0)) throw new InvalidArgumentError(`not a positive integer: ${text}`);
      return n;
    })
    .parse(process.argv.slice(2), { from: 'user' });
  const opts = command.opts<{ target: 'holdfast' | 'etcd'; ops: number; tls?: boolean; auth?: boolean; warmup: number; watchers: number; pairs?: number; peerTransport: PeerTransport }>();
  if (opts.pairs !== undefined) {
    if (opts.tls === true || opts.auth === true || opts.watchers > 0) {
      console.error('--pairs compares plain runs: leave out --tls, --auth and --watchers');
      return 2;
    }
    if (!etcdInstalled()) {
      console.error(ETCD_INSTALL_HINT);
      return 2;
    }
    await runPairs({ pairs: opts.pairs, operations: opts.ops, warmupOperations: opts.warmup, peerTransport: opts.peerTransport });
    return 0;
  }
  if (opts.watchers > 0 && opts.target === 'etcd') {
    console.error('--watchers measures holdfast only');
    return 2;
  }
  if ((opts.tls === true || opts.auth === true) && opts.target === 'etcd') {
    console.error('--tls and --auth measure holdfast only');
    return 2;
  }
  if (opts.target === 'etcd' && !etcdInstalled()) {
    console.error(ETCD_INSTALL_HINT);
    return 2;
  }
  const rows = await runThroughput({
    target: opts.target,
    operations: opts.ops,
    tls: opts.tls === true,
    auth: opts.auth === true,
    peerTransport: opts.peerTransport,
    warmupOperations: opts.warmup,
    watchers: opts.watchers,
  });
  console.log(formatThroughput(rows));
  return 0;
}

main().then(
  (status) => process.exit(status),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(2);
  },
);
