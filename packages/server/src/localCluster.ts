/**
 * A cluster of real node processes on loopback, for tests, the bench and `holdfast cluster up`.
 * Ports are picked by freePort (below); the assignment is kept in `<dataDir>/cluster.json`, so a
 * second start over the same directory reuses the data and the ports. Children are killed when
 * the parent exits (and, through HOLDFAST_EXIT_WITH_PARENT, exit on their own if it dies).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadProtos, type Member__Output as Member, type StatusResponse__Output as StatusResponse } from '@holdfast/protocol';

export interface LocalMember {
  readonly id: number;
  readonly name: string;
  readonly region: string;
  readonly peerAddress: string;
  readonly clientAddress: string;
  readonly metricsAddress: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** Started with --join (added through membership rather than the initial cluster). */
  readonly joined: boolean;
  removed: boolean;
}

export interface LocalClusterOptions {
  /** Root for node data, logs and cluster.json. */
  readonly dataDir: string;
  /** Members of a new cluster (ignored when cluster.json exists). Default 3. */
  readonly size?: number;
  readonly clusterId?: string;
  /** Address node `fromId` dials to reach `toId` (default: `listenAddress`, the peer's own). */
  readonly peerDialAddress?: (fromId: number, toId: number, listenAddress: string) => string;
  /** Extra flags per node (failpoints, limits). */
  readonly extraArgs?: (id: number) => readonly string[];
  readonly logLevel?: string;
  readonly tickMs?: number;
  readonly electionTicks?: number;
  /** The server entry point; default this package's dist/main.js. */
  readonly serverMain?: string;
  readonly regions?: readonly string[];
  /**
   * TLS for every member (both listeners, mutual between members) with these PEM files; every
   * member shows the same certificate, so it must name 127.0.0.1. LocalCluster's own calls use
   * the same identity. `clientAuth`: clients must present a certificate too.
   */
  readonly tls?: {
    readonly certFile: string;
    readonly keyFile: string;
    readonly caFile: string;
    readonly clientAuth?: boolean;
    /** A member's own certificate and key (one that names it), instead of certFile and keyFile. */
    readonly memberCertificate?: (id: number) => { readonly certFile: string; readonly keyFile: string } | undefined;
  };
  /**
   * start() resolves once every member answers on its client port (default true). False only for
   * members meant to fail at start (failpoint tests).
   */
  readonly awaitServing?: boolean;
}

interface ClusterFile {
  clusterId: string;
  members: LocalMember[];
}

const SERVER_MAIN = fileURLToPath(new URL('./main.js', import.meta.url)).replace(/[\\/]src[\\/]main\.js$/, '/dist/main.js');

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

function tryListen(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/** The first port of the kernel's range for outgoing connections (their local ports). */
function ephemeralPortStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const port = Number(low);
    return Number.isInteger(port) && port > 2048 ? port : 32768;
  } catch {
    return 32768;
  }
}

/** Where processes on this machine note the ports they handed out (one file per port). */
const PORT_RESERVATIONS = join(tmpdir(), 'holdfast-ports');
const reservedHere = new Set<number>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Notes `port` as handed out by this process, unless a live process (this one included) already
 * has. A port is handed out once for the life of the process: a member that is stopped keeps its
 * ports for its restart, and another test process on the machine must not pick them meanwhile.
 */
function reserve(port: number): boolean {
  if (reservedHere.has(port)) return false;
  mkdirSync(PORT_RESERVATIONS, { recursive: true });
  const file = join(PORT_RESERVATIONS, String(port));
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      reservedHere.add(port);
      if (reservedHere.size === 1) process.on('exit', releaseReservations);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(file, 'utf8').trim());
      if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) return false;
      rmSync(file, { force: true }); // left by a process that is gone
    }
  }
  return false;
}

function releaseReservations(): void {
  for (const port of reservedHere) rmSync(join(PORT_RESERVATIONS, String(port)), { force: true });
}

/**
 * A port free on 127.0.0.1 now and not handed out before by any live process on the machine.
 * Picked below the ephemeral range, so that the local end of some outgoing connection cannot take
 * it between this check and the node binding it (with port 0 the kernel hands out ports from that
 * very range); reserved through a file per port, so that parallel test processes (and members
 * stopped for a while) never share one.
 */
export async function freePort(): Promise<number> {
  const high = ephemeralPortStart();
  const low = Math.max(1024, high - 12_000);
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const candidate = low + Math.floor(Math.random() * (high - low));
    if (!reserve(candidate)) continue;
    const port = await tryListen(candidate);
    if (port !== undefined) return port;
  }
  const port = await tryListen(0);
  if (port === undefined) throw new Error('no free port on 127.0.0.1');
  return port;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** How long a started member may take to answer on its client port (a loaded machine is slow). */
const START_ANSWER_MS = 30_000;

export class LocalCluster {
  private file: ClusterFile;
  private readonly processes = new Map<number, ChildProcess>();
  private readonly options: LocalClusterOptions;

  private constructor(options: LocalClusterOptions, file: ClusterFile) {
    this.options = options;
    this.file = file;
  }

  /**
   * Creates (or reopens, from cluster.json) the cluster, starts every member not removed, and
   * resolves once each of them answers on its client port (a leader may not be known yet: see
   * waitForLeader). A member that exits while starting, or does not answer within 30 s, stops the
   * others and fails the start with its log's last lines.
   */
  static async start(options: LocalClusterOptions): Promise<LocalCluster> {
    const cluster = await LocalCluster.open(options);
    const starting = cluster.members.filter((member) => !member.removed);
    for (const member of starting) cluster.spawnMember(member);
    if (options.awaitServing === false) return cluster;
    try {
      await cluster.waitServing(
        starting.map((member) => member.id),
        START_ANSWER_MS,
      );
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Until every one of `ids` answers a local status; throws if one exits or the time runs out. */
  private async waitServing(ids: readonly number[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const waiting = new Set(ids);
    for (;;) {
      for (const id of [...waiting]) {
        if (!this.isRunning(id)) throw new Error(`member ${id} exited while starting; ${this.describe(id)}`);
        const answered = await this.call(this.member(id).clientAddress, 'status', { localOnly: true }, 500).then(
          () => true,
          () => false,
        );
        if (answered) waiting.delete(id);
      }
      if (waiting.size === 0) return;
      if (Date.now() > deadline) {
        const id = [...waiting][0] ?? 0;
        throw new Error(`member ${id} did not answer within ${timeoutMs} ms of its start; ${this.describe(id)}`);
      }
      await sleep(50);
    }
  }

  /** Assigns ports and writes cluster.json without starting anything. */
  static async open(options: LocalClusterOptions): Promise<LocalCluster> {
    installExitHook();
    mkdirSync(options.dataDir, { recursive: true });
    const path = join(options.dataDir, 'cluster.json');
    if (existsSync(path)) {
      return new LocalCluster(options, JSON.parse(readFileSync(path, 'utf8')) as ClusterFile);
    }
    const file: ClusterFile = { clusterId: options.clusterId ?? 'holdfast-local', members: [] };
    const cluster = new LocalCluster(options, file);
    for (let id = 1; id <= (options.size ?? 3); id += 1) file.members.push(await cluster.allocateMember(id, false, cluster.initialRegionOf(id)));
    cluster.save();
    return cluster;
  }

  get members(): readonly LocalMember[] {
    return this.file.members;
  }

  get clusterId(): string {
    return this.file.clusterId;
  }

  member(id: number): LocalMember {
    const member = this.file.members.find((m) => m.id === id);
    if (!member) throw new Error(`no member ${id} in ${this.options.dataDir}`);
    return member;
  }

  /** Client addresses of running members. */
  endpoints(): string[] {
    return this.file.members.filter((m) => !m.removed && this.isRunning(m.id)).map((m) => m.clientAddress);
  }

  isRunning(id: number): boolean {
    const child = this.processes.get(id);
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  pid(id: number): number | undefined {
    return this.processes.get(id)?.pid;
  }

  private async allocateMember(id: number, joined: boolean, region: string): Promise<LocalMember> {
    const dataDir = join(this.options.dataDir, `node-${id}`);
    return {
      id,
      name: `node-${id}`,
      region,
      peerAddress: `127.0.0.1:${await freePort()}`,
      clientAddress: `127.0.0.1:${await freePort()}`,
      metricsAddress: `127.0.0.1:${await freePort()}`,
      dataDir,
      logFile: join(this.options.dataDir, `node-${id}.log`),
      joined,
      removed: false,
    };
  }

  private save(): void {
    writeFileSync(join(this.options.dataDir, 'cluster.json'), `${JSON.stringify(this.file, null, 2)}\n`);
  }

  private argsFor(member: LocalMember): string[] {
    const initial = member.joined ? this.file.members.filter((m) => !m.removed) : this.file.members.filter((m) => !m.joined);
    const dial = this.options.peerDialAddress;
    const overrides = dial
      ? this.file.members.filter((m) => m.id !== member.id).map((m) => `${m.id}=${dial(member.id, m.id, m.peerAddress)}`)
      : [];
    const args = [
      '--id', String(member.id),
      '--name', member.name,
      '--region', member.region,
      '--cluster-id', this.file.clusterId,
      '--client-listen', member.clientAddress,
      '--peer-listen', member.peerAddress,
      '--metrics-listen', member.metricsAddress,
      '--initial-cluster', initial.map((m) => `${m.id}=${m.name}/${m.region}/${m.peerAddress}/${m.clientAddress}`).join(','),
      '--data-dir', member.dataDir,
      '--log-level', this.options.logLevel ?? 'info',
    ];
    if (member.joined) args.push('--join');
    if (overrides.length > 0) args.push('--peer-dial', overrides.join(','));
    if (this.options.tickMs !== undefined) args.push('--tick-ms', String(this.options.tickMs));
    if (this.options.electionTicks !== undefined) args.push('--election-ticks', String(this.options.electionTicks));
    const tls = this.options.tls;
    if (tls !== undefined) {
      const own = tls.memberCertificate?.(member.id) ?? tls;
      args.push('--tls-cert-file', own.certFile, '--tls-key-file', own.keyFile, '--tls-ca-file', tls.caFile);
      if (tls.clientAuth === true) args.push('--tls-client-auth');
    }
    args.push(...(this.options.extraArgs?.(member.id) ?? []));
    return args;
  }

  private spawnMember(member: LocalMember): ChildProcess {
    if (this.isRunning(member.id)) throw new Error(`member ${member.id} is already running`);
    mkdirSync(member.dataDir, { recursive: true });
    const log = openSync(member.logFile, 'a');
    const child = spawn(process.execPath, [this.options.serverMain ?? SERVER_MAIN, ...this.argsFor(member)], {
      stdio: ['ignore', log, log],
      env: { UV_THREADPOOL_SIZE: '8', ...process.env, HOLDFAST_EXIT_WITH_PARENT: '1' },
    });
    closeSync(log);
    live.add(child);
    child.once('exit', () => live.delete(child));
    this.processes.set(member.id, child);
    return child;
  }

  private async waitExit(id: number, timeoutMs: number): Promise<boolean> {
    const child = this.processes.get(id);
    if (!child || !this.isRunning(id)) return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Sends `signal` and waits for the process to exit (except for SIGSTOP/SIGCONT). */
  async kill(id: number, signal: NodeJS.Signals = 'SIGKILL', timeoutMs = 10_000): Promise<void> {
    const child = this.processes.get(id);
    if (!child || !this.isRunning(id)) return;
    child.kill(signal);
    if (!(await this.waitExit(id, timeoutMs))) {
      child.kill('SIGKILL');
      await this.waitExit(id, 5000);
    }
  }

  /** Exit code of the member's last process (null while running or if killed by a signal). */
  exitCode(id: number): number | null {
    return this.processes.get(id)?.exitCode ?? null;
  }

  async restart(id: number): Promise<void> {
    await this.kill(id, 'SIGTERM');
    this.spawnMember(this.member(id));
  }

  /** Starts a member that is not running (after kill), without killing anything. */
  startMember(id: number): void {
    this.spawnMember(this.member(id));
  }

  pause(id: number): void {
    this.processes.get(id)?.kill('SIGSTOP');
  }

  resume(id: number): void {
    this.processes.get(id)?.kill('SIGCONT');
  }

  /** Deletes a stopped member's data. */
  wipe(id: number): void {
    if (this.isRunning(id)) throw new Error(`member ${id} is running; kill it before wiping`);
    rmSync(this.member(id).dataDir, { recursive: true, force: true });
  }

  private readonly clients = new Map<string, grpc.Client>();

  private dialCredentials(): grpc.ChannelCredentials {
    const tls = this.options.tls;
    if (tls === undefined) return grpc.credentials.createInsecure();
    return grpc.credentials.createSsl(readFileSync(tls.caFile), readFileSync(tls.keyFile), readFileSync(tls.certFile));
  }

  /**
   * One client per address, with a private subchannel pool and a short reconnect backoff: a node
   * that was down must be reachable again as soon as it listens.
   */
  private clusterClient(address: string): grpc.Client {
    let client = this.clients.get(address);
    if (!client) {
      const { ClusterClient } = loadProtos();
      client = new ClusterClient(address, this.dialCredentials(), {
        'grpc.use_local_subchannel_pool': 1,
        'grpc.initial_reconnect_backoff_ms': 50,
        'grpc.max_reconnect_backoff_ms': 250,
        'grpc.min_reconnect_backoff_ms': 50,
      });
      this.clients.set(address, client);
    }
    return client;
  }

  /** What this harness's own calls send as `authorization` (a cluster with auth on); undefined: nothing. */
  private authorization: (() => Promise<string | undefined>) | undefined;

  /** Sends `authorization()` (e.g. `Bearer <token>`) with every Cluster call from now on (auth on). */
  useAuthorization(authorization: (() => Promise<string | undefined>) | undefined): void {
    this.authorization = authorization;
  }

  /** One Cluster call on one member with a deadline. */
  async call<T>(address: string, method: string, request: object, timeoutMs = 2000): Promise<T> {
    const client = this.clusterClient(address);
    const metadata = new grpc.Metadata();
    const authorization = await this.authorization?.();
    if (authorization !== undefined) metadata.set('authorization', authorization);
    return new Promise<T>((resolve, reject) => {
      const fn = (client as unknown as Record<string, (...args: unknown[]) => void>)[method];
      if (!fn) throw new Error(`no Cluster method ${method}`);
      fn.call(client, request, metadata, { deadline: Date.now() + timeoutMs }, (error: grpc.ServiceError | null, response: T) =>
        error ? reject(error) : resolve(response),
      );
    });
  }

  /** Asks every running member; resolves with the leader once one names itself and is named. */
  async waitForLeader(timeoutMs = 15_000): Promise<LocalMember> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const leader = await this.findLeader();
      if (leader) return leader;
      await sleep(50);
    }
    throw new Error(`no leader within ${timeoutMs} ms`);
  }

  async findLeader(): Promise<LocalMember | undefined> {
    const running = this.file.members.filter((m) => !m.removed && this.isRunning(m.id));
    const answers = await Promise.all(
      running.map((m) => this.call<StatusResponse>(m.clientAddress, 'status', { localOnly: true }, 500).catch(() => undefined)),
    );
    for (const [i, answer] of answers.entries()) {
      const member = running[i];
      if (answer && member && answer.leaderId === member.id) return member;
    }
    return undefined;
  }

  /**
   * Waits until every running member's state is at apply version `version` or later. A new
   * cluster starts at the first version; its leader raises it as soon as it has heard from every
   * member, and only then do writes get what that version brings (the store quota, say).
   */
  async waitForClusterVersion(version: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let seen: (number | undefined)[] = [];
    while (Date.now() < deadline) {
      const running = this.file.members.filter((m) => !m.removed && this.isRunning(m.id));
      seen = await Promise.all(
        running.map((m) =>
          this.call<StatusResponse>(m.clientAddress, 'status', { localOnly: true }, 500).then(
            (answer) => answer.members[0]?.clusterVersion,
            () => undefined,
          ),
        ),
      );
      if (seen.every((v) => v !== undefined && v >= version)) return;
      await sleep(50);
    }
    throw new Error(`the running members did not all reach apply version ${version} within ${timeoutMs} ms (they are at ${seen.join(', ')})`);
  }

  async status(id: number, timeoutMs = 2000): Promise<StatusResponse> {
    return this.call<StatusResponse>(this.member(id).clientAddress, 'status', {}, timeoutMs);
  }

  private async leaderAddress(): Promise<string> {
    return (await this.waitForLeader()).clientAddress;
  }

  /**
   * Adds a member through membership: a learner first, started with --join, promoted to voter
   * once it has caught up (the leader refuses the promotion before that; this retries).
   */
  /** The region of initial member `id`: the regions option in order, round-robin. */
  private initialRegionOf(id: number): string {
    const regions = this.options.regions ?? ['local'];
    return regions[(id - 1) % regions.length] ?? 'local';
  }

  /**
   * The region a new member goes to unless told: the region of the regions option holding the
   * fewest live members (the first such in order), so that adding members keeps the layout even.
   */
  private regionForNewMember(): string {
    const regions = [...new Set(this.options.regions ?? ['local'])];
    const live = this.file.members.filter((m) => !m.removed);
    const count = (region: string): number => live.filter((m) => m.region === region).length;
    return regions.reduce((best, region) => (count(region) < count(best) ? region : best));
  }

  /**
   * Adds a member under a new id (the cluster gives it), in `region` (default: the region with the
   * fewest live members), and promotes it unless `promote` is false.
   */
  async addMember(options: { promote?: boolean; timeoutMs?: number; region?: string } = {}): Promise<LocalMember> {
    const probe = await this.allocateMember(0, true, options.region ?? this.regionForNewMember());
    const added = await this.call<{ member: Member }>(await this.leaderAddress(), 'memberAddLearner', {
      name: '',
      region: probe.region,
      clientAddress: probe.clientAddress,
      peerAddress: probe.peerAddress,
    });
    const id = added.member.id;
    const member: LocalMember = {
      ...probe,
      id,
      name: added.member.name,
      dataDir: join(this.options.dataDir, `node-${id}`),
      logFile: join(this.options.dataDir, `node-${id}.log`),
    };
    this.file.members.push(member);
    this.save();
    this.spawnMember(member);
    if (options.promote ?? true) await this.promote(id, options.timeoutMs ?? 30_000);
    return member;
  }

  async promote(id: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.call(await this.leaderAddress(), 'memberPromote', { id });
        return;
      } catch (error) {
        if (Date.now() > deadline) throw new Error(`could not promote member ${id}: ${(error as Error).message}; ${this.describe(id)}`, { cause: error });
        await sleep(200);
      }
    }
  }

  /** Whether a member's process runs, and the end of its log: for errors about that member. */
  private describe(id: number): string {
    const member = this.file.members.find((m) => m.id === id);
    if (member === undefined) return `no member ${id} in ${this.options.dataDir}`;
    const child = this.processes.get(id);
    const state = this.isRunning(id) ? `running (pid ${child?.pid})` : `not running (exit ${child?.exitCode ?? child?.signalCode ?? 'unknown'})`;
    let tail = '';
    try {
      tail = readFileSync(member.logFile, 'utf8').split('\n').slice(-8).join('\n');
    } catch {
      tail = '(no log)';
    }
    return `its process is ${state}; last lines of ${member.logFile}:\n${tail}`;
  }

  async removeMember(id: number): Promise<void> {
    await this.call(await this.leaderAddress(), 'memberRemove', { id });
    this.member(id).removed = true;
    this.save();
    await this.kill(id, 'SIGTERM');
  }

  /** Replaces a member by a fresh one in its region: kill, wipe, remove through membership, add a new one. */
  async replaceMember(id: number): Promise<LocalMember> {
    const { region } = this.member(id);
    await this.kill(id, 'SIGKILL');
    this.wipe(id);
    await this.removeMember(id);
    return this.addMember({ promote: true, region });
  }

  /**
   * After `holdfast recover` on member `survivorId`'s data: the cluster goes on under
   * `clusterId` (its new epoch) with that member alone; the others are marked removed.
   */
  adoptRecovery(survivorId: number, clusterId: string): void {
    this.file.clusterId = clusterId;
    for (const member of this.file.members) if (member.id !== survivorId) member.removed = true;
    this.save();
  }

  /** SIGTERM every member, SIGKILL whoever is still running after `timeoutMs`. */
  async stop(timeoutMs = 10_000): Promise<void> {
    const ids = [...this.processes.keys()].filter((id) => this.isRunning(id));
    for (const id of ids) this.resume(id);
    await Promise.all(ids.map((id) => this.kill(id, 'SIGTERM', timeoutMs)));
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
