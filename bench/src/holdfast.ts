import fs from 'node:fs';
import path from 'node:path';
import { type AttemptReport, compare, createClient, type HoldfastClient, HoldfastError, op } from '@holdfast/client';
import type { Prng } from '@holdfast/raft';
import type { BenchSecurity, ProbedMember } from './bad-credentials.js';
import { LocalCluster } from '@holdfast/server';
import type { ProxyNetwork, TcpProxy } from './proxy.js';
import { clientDialerOf } from './regions.js';
import type { ChangeFeed, WatchedChange } from './watch-check.js';
import {
  type ClusterTarget,
  type ErrorCertainty,
  type KvAdapter,
  type KvValue,
  type MemberHealth,
  type MemberReader,
  type RestartOptions,
  retryUntil,
  sleep,
  TargetError,
  type TargetStartOptions,
} from './target.js';

/**
 * Members that may join during a run (wipe, member churn) get new ids. Proxies for links to and from
 * them are created up front, and every node is started with dial overrides for those future ids too
 * (the server resolves its --peer-dial map whenever it dials a member), so links to a member that
 * joins later also go through the proxies.
 */
const FUTURE_MEMBERS_MAX = 12;

/** Above every text key (UTF-8 of the highest code point): ranges are refused an open end. */
const AUDIT_RANGE_END = '\u{10ffff}';

const nodeName = (id: number): string => `n${id}`;

function parseNodeId(name: string): number {
  const id = Number.parseInt(name.replace(/^n/, ''), 10);
  if (!Number.isInteger(id) || id <= 0) throw new TargetError('bad-node', `not a holdfast node name: ${name}`);
  return id;
}

/**
 * A holdfast cluster of real node processes (LocalCluster) with every node-to-node link through
 * one proxy per directed pair, and every client link through a proxy per node.
 */
/** Attempts of one operation kept in the history (a call may make hundreds while no leader is known). */
const ATTEMPTS_RECORDED_MAX = 16;

/**
 * Timing across emulated regions (docs/operations.md, Tuning): heartbeat 100 ms, election 1.5-3 s,
 * ranked election slots of 160 ms (above three-regions' largest one-way delay, 80 ms): with them a
 * region outage's first write came sooner (bench/README.md, Ranked election slots).
 */
export const REGION_TIMING = { tickMs: 20, heartbeatTicks: 5, electionTicks: 75, electionSpreadTicks: 75, electionRankSlotTicks: 8 } as const;

export class HoldfastTarget implements ClusterTarget {
  readonly kind = 'holdfast' as const;
  readonly capabilities = { diskFaults: true, membership: true, transferLeadership: true, diskCorruption: true };
  private cluster: LocalCluster | undefined;
  private network: ProxyNetwork | undefined;
  private runDir = '';
  private readonly peerProxies = new Map<string, TcpProxy>();
  private readonly clientProxies = new Map<number, TcpProxy>();
  /** Per client region: the proxy its clients reach each member by (dialer `client@<region>`). */
  private readonly regionalClientProxies = new Map<string, Map<number, TcpProxy>>();
  /** Peer listen address per member id, as LocalCluster reported it. */
  private readonly peerListen = new Map<number, string>();
  private memberIdMax = 0;
  /** Failpoints for a node's next start; cleared by a clean restart. */
  private readonly failpoints = new Map<number, string[]>();
  private admin: HoldfastClient | undefined;
  private readonly prng: Prng;
  /** Peer links that bypass the proxies (no spare proxy was ready); reported, never silent. */
  readonly unproxiedLinks: string[] = [];

  /** TLS and auth for the run (the bad-credentials nemesis); undefined: plaintext, auth off. */
  readonly security: BenchSecurity | undefined;

  /** --read-mode of every member (absent: the node's default, read-index). */
  private readonly readMode: 'read-index' | 'lease' | undefined;
  /** The leader-region preference set at start (--regions: the first member's region); undefined: none. */
  preferredLeaderRegion: string | undefined;
  /** --election-spread-ticks of every member in a --regions run (absent: REGION_TIMING's). */
  private readonly electionSpreadTicks: number | undefined;
  /** --election-rank-slot-ticks of every member in a --regions run (absent: REGION_TIMING's). */
  private readonly electionRankSlotTicks: number | undefined;

  constructor(options: {
    prng: Prng;
    security?: BenchSecurity;
    readMode?: 'read-index' | 'lease';
    electionSpreadTicks?: number;
    electionRankSlotTicks?: number;
  }) {
    this.readMode = options.readMode;
    this.electionSpreadTicks = options.electionSpreadTicks;
    this.electionRankSlotTicks = options.electionRankSlotTicks;
    this.prng = options.prng;
    this.security = options.security;
  }

  /** What every client of the bench needs with security on: the CA, and the workload user. */
  private clientSecurity(): { tls?: { ca: Buffer }; credentials?: { user: string; password: string } } {
    const security = this.security;
    if (security === undefined) return {};
    return { tls: { ca: fs.readFileSync(security.caFile) }, credentials: { user: security.user.name, password: security.user.password } };
  }

  /** The cluster id the members run with. */
  get clusterId(): string {
    return this.requireCluster().clusterId;
  }

  /** Every current member, reached straight (not through the proxies), for the bad-credentials prober. */
  probedMembers(): ProbedMember[] {
    const cluster = this.requireCluster();
    return cluster.members
      .filter((m) => !m.removed)
      .map((m) => ({ id: m.id, clientAddress: m.clientAddress, peerAddress: m.peerAddress, running: cluster.isRunning(m.id) }));
  }

  /**
   * Users and roles, then auth on: root; the workload's user with readwrite on every key and
   * the admin rights the nemeses use (membership, backup, compaction); a probe user with no role.
   */
  private async enableAuth(security: BenchSecurity): Promise<void> {
    const admin = this.requireAdmin();
    const options = { deadlineMs: 10_000 };
    await admin.auth.roleAdd('root', options);
    await admin.auth.userAdd('root', security.rootPassword, options);
    await admin.auth.userGrantRole('root', 'root', options);
    await admin.auth.roleAdd('bench', options);
    await admin.auth.roleGrant('bench', { type: 'keys', key: '\u0000', rangeEnd: '\u0000', access: 'readwrite' }, options);
    for (const right of ['membership', 'backup', 'compaction'] as const) await admin.auth.roleGrant('bench', { type: 'admin', right }, options);
    await admin.auth.userAdd(security.user.name, security.user.password, options);
    await admin.auth.userGrantRole(security.user.name, 'bench', options);
    await admin.auth.userAdd(security.probeUser.name, security.probeUser.password, options);
    await admin.auth.enable(security.tokenTtlMs, options);
    // The harness's own membership calls log in as the workload's user.
    this.requireCluster().useAuthorization(async () => {
      const token = await this.requireAdmin().authToken();
      return token === undefined ? undefined : `Bearer ${token}`;
    });
  }

  nodeIds(): string[] {
    return (this.cluster?.members ?? []).filter((m) => !m.removed).map((m) => nodeName(m.id));
  }

  logsDir(): string {
    return path.join(this.runDir, 'cluster');
  }

  async start(options: TargetStartOptions): Promise<void> {
    this.network = options.network;
    this.runDir = options.runDir;
    this.memberIdMax = options.nodeCount + FUTURE_MEMBERS_MAX;
    await this.createPeerProxies();
    const regions = options.regions === undefined ? undefined : Object.values(options.regions);
    this.cluster = await LocalCluster.start({
      dataDir: this.logsDir(),
      size: options.nodeCount,
      clusterId: `bench-${process.pid}`,
      peerDialAddress: (fromId, toId, listenAddress) => this.peerDialAddress({ fromId, toId, listenAddress }),
      // Given after LocalCluster's own --peer-dial, so this one (which adds future ids) wins.
      extraArgs: (id) => {
        const points = this.failpoints.get(id) ?? [];
        return [
          ...this.peerDialFlag(id),
          // The watch check resumes its watch after every fault: keep a run's worth of changes.
          ...['--watch-history-events-max', '2000000', '--watch-history-bytes-max', String(512 * 1024 * 1024)],
          ...(points.length === 0 ? [] : ['--failpoints', points.join(',')]),
          ...(this.readMode === undefined ? [] : ['--read-mode', this.readMode]),
          // Across regions: the timing docs/operations.md (Tuning) gives for RTTs up to ~160 ms.
          ...(regions === undefined
            ? []
            : [
                '--heartbeat-ticks',
                String(REGION_TIMING.heartbeatTicks),
                '--election-spread-ticks',
                String(this.electionSpreadTicks ?? REGION_TIMING.electionSpreadTicks),
                '--election-rank-slot-ticks',
                String(this.electionRankSlotTicks ?? REGION_TIMING.electionRankSlotTicks),
              ]),
        ];
      },
      ...(regions === undefined ? {} : { regions, tickMs: REGION_TIMING.tickMs, electionTicks: REGION_TIMING.electionTicks }),
      ...(this.security === undefined
        ? {}
        : { tls: { certFile: this.security.memberCertFile, keyFile: this.security.memberKeyFile, caFile: this.security.caFile } }),
    });
    // Client proxies for future members too: workload clients are created once, and must still find
    // the cluster after every original member has been replaced.
    for (let id = 1; id <= this.memberIdMax; id += 1) await this.ensureClientProxy(id);
    for (const region of options.clientRegions ?? []) {
      for (let id = 1; id <= this.memberIdMax; id += 1) await this.ensureClientProxy(id, region);
    }
    this.refreshAdmin();
    await this.cluster.waitForLeader(30_000);
    if (this.security !== undefined) await this.enableAuth(this.security);
    // The leader belongs in the first region (where n1 is): it returns there after every heal.
    if (regions !== undefined && regions[0] !== undefined) {
      await this.preferLeaderRegion(regions[0]);
      this.preferredLeaderRegion = regions[0];
    }
  }

  /**
   * Sets the leader preference, retried while the new cluster is not yet at the apply version
   * that brings placement (its leader raises it once it heard from every member).
   */
  private async preferLeaderRegion(region: string): Promise<void> {
    const deadlineMs = Date.now() + 30_000;
    for (;;) {
      try {
        await this.requireAdmin().setPlacement({ leaderRegions: [region] }, { deadlineMs: 10_000 });
        return;
      } catch (error) {
        if (Date.now() > deadlineMs) throw error;
        await sleep(200);
      }
    }
  }

  async stop(): Promise<void> {
    this.admin?.close();
    await this.cluster?.stop();
  }

  createKv(options: { clientIndex: number; deadlineMs: number; region?: string }): KvAdapter {
    // Each attempt of the worker's current operation, named by member ("n1 timeout 1002"), for
    // the history: which member a call tried and what each attempt cost.
    const names = new Map([...this.proxiesOf(options.region)].map(([id, proxy]) => [proxy.address, `n${id}`]));
    const attempts: string[] = [];
    const onAttempt = (report: AttemptReport): void => {
      if (attempts.length < ATTEMPTS_RECORDED_MAX) attempts.push(`${names.get(report.address) ?? report.address} ${report.outcome} ${Math.round(report.elapsedMs)}`);
    };
    return new HoldfastKv(this.createSdkClient({ ...options, onAttempt }), attempts);
  }

  /** The client proxies of `region`'s clients, or the bench's own (`client`) when none is given. */
  private proxiesOf(region: string | undefined): Map<number, TcpProxy> {
    if (region === undefined) return this.clientProxies;
    const proxies = this.regionalClientProxies.get(region);
    if (proxies === undefined) throw new TargetError('bad-region', `no client proxies for region ${region} (not in the run's --regions)`);
    return proxies;
  }

  /** Each current member's client proxy (the address clients reach it by), with its id, region and process id (0: not running). */
  clientEndpoints(): { id: number; name: string; region: string; address: string; pid: number }[] {
    const cluster = this.requireCluster();
    return cluster.members
      .filter((m) => !m.removed)
      .map((m) => ({ id: m.id, name: m.name, region: m.region, address: this.clientProxies.get(m.id)?.address ?? '', pid: cluster.pid(m.id) ?? 0 }))
      .filter((m) => m.address !== '');
  }

  createSdkClient(options: { clientIndex: number; deadlineMs: number; region?: string; onAttempt?: (report: AttemptReport) => void }): HoldfastClient {
    const cluster = this.requireCluster();
    const proxies = this.proxiesOf(options.region);
    const current = cluster.members.filter((m) => !m.removed).map((m) => m.id);
    const proxyOf = (id: number): string | undefined => proxies.get(id)?.address;
    const endpoints = current.map(proxyOf).filter((a): a is string => a !== undefined);
    const future = [...proxies.keys()].filter((id) => !current.includes(id)).map(proxyOf);
    // Start each client at a different node so load does not all begin at one; future members last.
    const rotation = options.clientIndex % Math.max(1, endpoints.length);
    const ordered = [
      ...endpoints.slice(rotation),
      ...endpoints.slice(0, rotation),
      ...future.filter((a): a is string => a !== undefined),
    ];
    const client = createClient({
      ...this.clientSecurity(),
      endpoints: ordered,
      deadlineMs: options.deadlineMs,
      attemptTimeoutMs: Math.min(options.deadlineMs, 1000),
      clientId: `bench-${options.clientIndex}-${this.prng.nextUint32().toString(16)}`,
      random: () => this.prng.next(),
      // A node names the leader by its real client address; follow the hint through that
      // member's proxy so the client-link faults keep applying.
      resolveAddress: (advertised) => this.clientProxyFor(advertised, proxies),
      // Serializable reads go to the nearest member, as measured through this region's proxies.
      ...(options.region === undefined ? {} : { region: options.region }),
      ...(options.onAttempt === undefined ? {} : { onAttempt: options.onAttempt }),
    });
    return client;
  }

  watchChanges(): ChangeFeed {
    const current = this.requireCluster().members.filter((m) => !m.removed).map((m) => m.id);
    // Current members first, then the proxies of members added later (the watch must outlive
    // the replacement of every original member).
    const ids = [...current, ...[...this.clientProxies.keys()].filter((id) => !current.includes(id))];
    const client = createClient({
      ...this.clientSecurity(),
      endpoints: ids.map((id) => this.clientProxies.get(id)?.address).filter((a): a is string => a !== undefined),
      deadlineMs: 5000,
      attemptTimeoutMs: 1000,
      resolveAddress: (advertised) => this.clientProxyFor(advertised),
    });
    const changes: WatchedChange[] = [];
    // Every key: from the lowest key on, with no upper bound.
    const watch = client.watch({ start: '\u0000', end: '\u0000' }, { startRevision: 1, idleTimeoutMs: 3000, prevKv: true });
    const feed = { changes, error: undefined as unknown, withPrevKv: true, close: () => {
      watch.close();
      client.close();
    } };
    void (async () => {
      try {
        for await (const batch of watch) {
          for (const event of batch.events) {
            const prev = event.prevKv === undefined ? {} : { prev: { value: event.prevKv.valueString(), modRevision: event.prevKv.modRevision } };
            changes.push({ type: event.type, key: event.kv.keyString(), value: event.kv.valueString(), revision: event.kv.modRevision, ...prev });
          }
        }
      } catch (error) {
        feed.error = error;
      }
    })();
    return feed;
  }

  private clientProxyFor(advertised: string, proxies: Map<number, TcpProxy> = this.clientProxies): string | undefined {
    const member = this.cluster?.members.find((m) => m.clientAddress === advertised);
    if (member !== undefined) return proxies.get(member.id)?.address;
    const proxied = [...proxies.values()].find((proxy) => proxy.address === advertised);
    return proxied?.address;
  }

  classifyError(error: unknown, options: { write: boolean }): ErrorCertainty {
    if (!options.write) return 'failed';
    // The SDK retries inside a call's deadline, so a write's final error may follow an attempt whose
    // outcome is unknown. Only errors about the request itself prove nothing was applied, and
    // quota-exceeded: apply's verdict, kept in the session for the write's sequence number, so
    // every attempt of the call got that same verdict and none of them changed anything.
    if (error instanceof HoldfastError) {
      const certain = ['invalid-argument', 'key-too-large', 'value-too-large', 'request-too-large', 'quota-exceeded'];
      return certain.includes(error.code) ? 'failed' : 'unknown';
    }
    return 'unknown';
  }

  async findLeader(): Promise<string | undefined> {
    try {
      const status = await this.requireAdmin().status({ deadlineMs: 700 });
      if (status.leaderId !== 0 && this.requireCluster().isRunning(status.leaderId)) return nodeName(status.leaderId);
    } catch {
      // fall through: ask each node directly
    }
    const leader = await this.requireCluster().findLeader();
    return leader === undefined ? undefined : nodeName(leader.id);
  }

  isRunning(id: string): boolean {
    return this.requireCluster().isRunning(parseNodeId(id));
  }

  async kill(id: string, signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> {
    await this.requireCluster().kill(parseNodeId(id), signal);
  }

  dataDirOf(id: string): string {
    return this.requireCluster().member(parseNodeId(id)).dataDir;
  }

  logFileOf(id: string): string {
    return this.requireCluster().member(parseNodeId(id)).logFile;
  }

  async memberHealth(id: string, timeoutMs: number): Promise<MemberHealth> {
    const cluster = this.requireCluster();
    const status = await cluster.call<LocalStatus>(cluster.member(parseNodeId(id)).clientAddress, 'status', { localOnly: true }, timeoutMs);
    return healthFromStatus(status);
  }

  memberReader(id: string, deadlineMs: number): MemberReader {
    const address = this.requireCluster().member(parseNodeId(id)).clientAddress;
    // Only this member: hints naming another member are not followed, so it answers itself.
    const client = createClient({
      ...this.clientSecurity(),
      endpoints: [address],
      deadlineMs,
      attemptTimeoutMs: Math.min(deadlineMs, 2000),
      clientId: `bench-audit-${id}-${this.prng.nextUint32().toString(16)}`,
      random: () => this.prng.next(),
      resolveAddress: (advertised) => (advertised === address ? address : undefined),
    });
    return {
      page: async ({ afterKey, limit }) => {
        // Every key the bench writes (text): from the lowest on, or just after the last one seen.
        const start = afterKey === undefined ? '\u0000' : `${afterKey}\u0000`;
        const result = await client.range({ start, end: AUDIT_RANGE_END }, { limit });
        return { kvs: result.kvs.map((kv) => ({ key: kv.keyString(), value: kv.valueString() })), more: result.more };
      },
      close: () => client.close(),
    };
  }

  async restart(id: string, options: RestartOptions = {}): Promise<void> {
    const numeric = parseNodeId(id);
    const cluster = this.requireCluster();
    this.failpoints.set(numeric, options.failpoints ?? []);
    if (cluster.isRunning(numeric)) await cluster.kill(numeric, 'SIGKILL');
    cluster.startMember(numeric);
  }

  async pause(id: string): Promise<void> {
    this.requireCluster().pause(parseNodeId(id));
  }

  async resume(id: string): Promise<void> {
    this.requireCluster().resume(parseNodeId(id));
  }

  async waitForExit(id: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.isRunning(id)) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return !this.isRunning(id);
  }

  async wipeAndRejoin(id: string): Promise<void> {
    const numeric = parseNodeId(id);
    const cluster = this.requireCluster();
    await cluster.kill(numeric, 'SIGKILL');
    cluster.wipe(numeric);
    await this.removeMember(id);
    await this.addMember(id);
  }

  async removeMember(id: string): Promise<void> {
    const numeric = parseNodeId(id);
    const cluster = this.requireCluster();
    // A timed-out removal may still have been applied: check the membership before retrying.
    await retryUntil({
      action: async () => {
        if (!(await this.isVoterOrLearner(numeric))) {
          cluster.member(numeric).removed = true;
          return;
        }
        await cluster.removeMember(numeric);
      },
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    await cluster.kill(numeric, 'SIGKILL');
    this.refreshAdmin();
  }

  async addMember(id: string): Promise<void> {
    // A removed holdfast member cannot come back under its old id: a new member (new id) takes its
    // place, in the region of the one it replaces (the id would put it elsewhere, and an outage of
    // that region could then take a majority).
    const cluster = this.requireCluster();
    const known = new Set(cluster.members.map((m) => m.id));
    const region = cluster.members.find((m) => m.id === parseNodeId(id))?.region;
    const added = await retryUntil({
      action: async () => {
        // A learner added by an attempt whose promotion failed is promoted, not added again
        // (each retry would leave one more learner behind on a slow machine).
        const learner = cluster.members.find((m) => !known.has(m.id) && !m.removed);
        if (learner === undefined) return cluster.addMember({ promote: true, timeoutMs: 30_000, ...(region === undefined ? {} : { region }) });
        await cluster.promote(learner.id, 30_000);
        return learner;
      },
      timeoutMs: 45_000,
      intervalMs: 500,
    });
    if (added.id > this.memberIdMax) this.unproxiedLinks.push(`every link of ${nodeName(added.id)}`);
    await this.ensureClientProxy(added.id);
    this.refreshAdmin();
  }

  memberRegion(id: string): string | undefined {
    if (this.cluster === undefined || !/^n\d+$/.test(id)) return undefined;
    return this.cluster.members.find((m) => m.id === parseNodeId(id))?.region;
  }

  private async isVoterOrLearner(id: number): Promise<boolean> {
    const members = await this.requireAdmin().members.list({ deadlineMs: 2000 });
    return members.some((m) => m.id === id);
  }

  async transferLeadership(toId?: string): Promise<void> {
    await this.requireAdmin().transferLeadership(toId === undefined ? 0 : parseNodeId(toId), { deadlineMs: 5000 });
  }

  /** Copy node logs into `dir` (the report folder). */
  copyLogs(dir: string): void {
    fs.mkdirSync(dir, { recursive: true });
    for (const member of this.cluster?.members ?? []) {
      if (fs.existsSync(member.logFile)) fs.copyFileSync(member.logFile, path.join(dir, path.basename(member.logFile)));
    }
  }

  private peerDialAddress(options: { fromId: number; toId: number; listenAddress: string }): string {
    this.peerListen.set(options.toId, options.listenAddress);
    const proxy = this.peerProxies.get(`${options.fromId}->${options.toId}`);
    if (proxy !== undefined) return proxy.address;
    this.unproxiedLinks.push(`n${options.fromId}->n${options.toId}`);
    return options.listenAddress;
  }

  private peerDialFlag(fromId: number): string[] {
    const overrides: string[] = [];
    for (let toId = 1; toId <= this.memberIdMax; toId += 1) {
      const proxy = this.peerProxies.get(`${fromId}->${toId}`);
      if (toId !== fromId && proxy !== undefined) overrides.push(`${toId}=${proxy.address}`);
    }
    return overrides.length === 0 ? [] : ['--peer-dial', overrides.join(',')];
  }

  private async createPeerProxies(): Promise<void> {
    const network = this.requireNetwork();
    for (let fromId = 1; fromId <= this.memberIdMax; fromId += 1) {
      for (let toId = 1; toId <= this.memberIdMax; toId += 1) {
        if (fromId === toId) continue;
        const proxy = await network.addProxy({
          name: `${nodeName(fromId)}->${nodeName(toId)}`,
          dialerId: nodeName(fromId),
          listenerId: nodeName(toId),
          target: () => this.peerEndpoint(toId),
        });
        this.peerProxies.set(`${fromId}->${toId}`, proxy);
      }
    }
  }

  private peerEndpoint(id: number): { host: string; port: number } | undefined {
    const member = this.cluster?.members.find((m) => m.id === id);
    const address = member?.peerAddress ?? this.peerListen.get(id);
    return address === undefined ? undefined : parseEndpoint(address);
  }

  private async ensureClientProxy(id: number, region?: string): Promise<void> {
    let proxies = this.clientProxies;
    if (region !== undefined) {
      proxies = this.regionalClientProxies.get(region) ?? new Map<number, TcpProxy>();
      this.regionalClientProxies.set(region, proxies);
    }
    if (proxies.has(id)) return;
    const cluster = this.requireCluster();
    const dialerId = region === undefined ? 'client' : clientDialerOf(region);
    const proxy = await this.requireNetwork().addProxy({
      name: `${dialerId}->${nodeName(id)}`,
      dialerId,
      listenerId: nodeName(id),
      // No target (connection closed at once) while the member does not exist or was removed.
      target: () => {
        const member = cluster.members.find((m) => m.id === id && !m.removed);
        return member === undefined ? undefined : parseEndpoint(member.clientAddress);
      },
    });
    proxies.set(id, proxy);
  }

  private requireCluster(): LocalCluster {
    if (this.cluster === undefined) throw new TargetError('not-started', 'holdfast target not started');
    return this.cluster;
  }

  private requireNetwork(): ProxyNetwork {
    if (this.network === undefined) throw new TargetError('not-started', 'holdfast target not started');
    return this.network;
  }

  /** The admin client talks to the current members directly (not through the proxies). */
  private refreshAdmin(): void {
    this.admin?.close();
    this.admin = createClient({
      ...this.clientSecurity(),
      endpoints: this.requireCluster()
        .members.filter((m) => !m.removed)
        .map((m) => m.clientAddress),
      deadlineMs: 2000,
      // Long enough for a leadership transfer; status polls pass their own shorter deadline.
      attemptTimeoutMs: 5000,
      clientId: `bench-admin-${this.prng.nextUint32().toString(16)}`,
      random: () => this.prng.next(),
    });
  }

  private requireAdmin(): HoldfastClient {
    if (this.admin === undefined) throw new TargetError('not-started', 'holdfast target not started');
    return this.admin;
  }
}

/** What the bench reads of a local status answer (Cluster.Status with localOnly). */
export interface LocalStatus {
  leaderId: number;
  members: {
    role: string;
    leaderId: number;
    commitIndex: number;
    appliedIndex: number;
    error: string;
    /** Integrity alarms (a damaged state record, a state hash the others disagree with). */
    alarms?: string[];
    /** The member refuses every read until it is repaired. */
    readsRefused?: boolean;
    /** The member is repairing its log or state from the others, and why. */
    repairing?: boolean;
    repairReason?: string;
  }[];
}

/** The member's own row of a local status, with what it says is wrong. */
export function healthFromStatus(status: LocalStatus): MemberHealth {
  const own = status.members[0];
  return {
    role: own?.role ?? 'unknown',
    leaderId: Number(own?.leaderId ?? status.leaderId ?? 0),
    commitIndex: Number(own?.commitIndex ?? 0),
    appliedIndex: Number(own?.appliedIndex ?? 0),
    alarms: [...(own?.alarms ?? []), ...(own?.readsRefused === true ? ['refuses reads until repaired'] : [])],
    repairing: own?.repairing === true,
    repairReason: own?.repairReason ?? '',
    error: own?.error ?? '',
  };
}

function parseEndpoint(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon), port: Number.parseInt(address.slice(colon + 1), 10) };
}

/** The KV adapter over the SDK; cas is a transaction comparing the value (or version 0 for absent). */
export class HoldfastKv implements KvAdapter {
  private readonly client: HoldfastClient;
  /** The attempts of the call under way (filled by the client's onAttempt), if recorded. */
  private readonly attempts: string[] | undefined;

  constructor(client: HoldfastClient, attempts?: string[]) {
    this.client = client;
    this.attempts = attempts;
  }

  takeAttempts(): string[] {
    if (this.attempts === undefined) return [];
    return this.attempts.splice(0, this.attempts.length);
  }

  async get(key: string): Promise<KvValue> {
    const kv = await this.client.get(key);
    return kv === undefined ? { value: null, version: 0 } : { value: kv.valueString(), version: kv.version };
  }

  async getSerializable(key: string): Promise<KvValue> {
    const kv = await this.client.get(key, { consistency: 'serializable' });
    return kv === undefined ? { value: null, version: 0 } : { value: kv.valueString(), version: kv.version };
  }

  async getBounded(key: string, maxStalenessMs: number): Promise<KvValue> {
    const kv = await this.client.get(key, { maxStalenessMs });
    return kv === undefined ? { value: null, version: 0 } : { value: kv.valueString(), version: kv.version };
  }

  async put(key: string, value: string): Promise<void> {
    await this.client.put(key, value);
  }

  async cas(key: string, expected: string | null, value: string): Promise<boolean> {
    const guard = expected === null ? compare.version(key, '=', 0) : compare.value(key, '=', expected);
    const result = await this.client.txn({ compare: [guard], success: [op.put(key, value)] });
    return result.succeeded;
  }

  async delete(key: string): Promise<void> {
    await this.client.delete(key);
  }

  close(): void {
    this.client.close();
  }
}
