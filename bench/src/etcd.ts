import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { freePort } from '@holdfast/server';
import { commandExists, ManagedProcess } from './process.js';
import type { ProxyNetwork, TcpProxy } from './proxy.js';
import {
  type ClusterTarget,
  type ErrorCertainty,
  type KvAdapter,
  type KvValue,
  type RestartOptions,
  retryUntil,
  sleep,
  TargetError,
  type TargetStartOptions,
} from './target.js';

/**
 * A 3-member etcd 3.4 cluster (Debian's etcd-server) on loopback, every peer and client link through
 * the bench's proxies, driven through a grpc-js client of the v3 API (bench/proto/etcd).
 */

export const ETCD_INSTALL_HINT =
  'etcd is not installed (no `etcd` on PATH). On Debian/Ubuntu: `sudo apt-get install -y etcd-server`.';

export function etcdInstalled(): boolean {
  return commandExists('etcd');
}

// Messages are typed by hand (narrow interfaces) rather than generated: the bench uses a handful of
// fields, and 64-bit ids stay strings (longs: String) so member ids keep every bit.
interface EtcdKeyValue {
  key: Buffer;
  value: Buffer;
  version: string;
  mod_revision: string;
}
interface EtcdRangeResponse {
  kvs: EtcdKeyValue[];
}
interface EtcdTxnResponse {
  succeeded: boolean;
}
interface EtcdStatusResponse {
  header: { member_id: string; raft_term: string };
  leader: string;
  raftTerm: string;
  errors: string[];
}
interface EtcdMember {
  ID: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
}
interface EtcdMemberListResponse {
  members: EtcdMember[];
}
interface EtcdMemberAddResponse {
  member: EtcdMember;
  members: EtcdMember[];
}

type UnaryMethod = (
  request: object,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response: unknown) => void,
) => grpc.ClientUnaryCall;

interface EtcdStubs {
  kv: grpc.Client;
  maintenance: grpc.Client;
  cluster: grpc.Client;
}

type ServiceConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: object) => grpc.Client;

let loadedServices: { kv: ServiceConstructor; maintenance: ServiceConstructor; cluster: ServiceConstructor } | undefined;

function services(): { kv: ServiceConstructor; maintenance: ServiceConstructor; cluster: ServiceConstructor } {
  if (loadedServices !== undefined) return loadedServices;
  const protoDir = fileURLToPath(new URL('../proto/etcd', import.meta.url));
  const definition = protoLoader.loadSync(path.join(protoDir, 'rpc.proto'), {
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
    includeDirs: [protoDir],
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    etcdserverpb: { KV: ServiceConstructor; Maintenance: ServiceConstructor; Cluster: ServiceConstructor };
  };
  loadedServices = {
    kv: loaded.etcdserverpb.KV,
    maintenance: loaded.etcdserverpb.Maintenance,
    cluster: loaded.etcdserverpb.Cluster,
  };
  return loadedServices;
}

function createStubs(address: string): EtcdStubs {
  const s = services();
  const credentials = grpc.credentials.createInsecure();
  // One channel per stub is fine at this scale; keep reconnect back-off short so a healed link is used soon.
  const channelOptions = { 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 1000 };
  return {
    kv: new s.kv(address, credentials, channelOptions),
    maintenance: new s.maintenance(address, credentials, channelOptions),
    cluster: new s.cluster(address, credentials, channelOptions),
  };
}

function closeStubs(stubs: EtcdStubs): void {
  stubs.kv.close();
  stubs.maintenance.close();
  stubs.cluster.close();
}

export function callUnary<T>(options: {
  client: grpc.Client;
  method: string;
  request: object;
  deadlineMs: number;
}): Promise<T> {
  const method = (options.client as unknown as Record<string, UnaryMethod>)[options.method];
  if (method === undefined) throw new TargetError('no-method', `no gRPC method ${options.method}`);
  return new Promise((resolve, reject) => {
    method.call(
      options.client,
      options.request,
      new grpc.Metadata(),
      { deadline: Date.now() + options.deadlineMs },
      (error, response) => {
        if (error !== null) reject(error);
        else resolve(response as T);
      },
    );
  });
}

interface EtcdNode {
  id: string;
  clientPort: number;
  peerPort: number;
  /** Absent when the cluster runs without proxies (throughput measurement). */
  clientProxy: TcpProxy | undefined;
  peerProxy: TcpProxy | undefined;
  process: ManagedProcess;
  dataDir: string;
  admin: EtcdStubs;
  memberId: string | undefined;
  /** False after removeMember until addMember. */
  member: boolean;
}

const ADMIN_DEADLINE_MS = 1500;

export class EtcdTarget implements ClusterTarget {
  readonly kind = 'etcd' as const;
  readonly capabilities = { diskFaults: false, membership: true, transferLeadership: true, diskCorruption: false };
  private readonly nodes = new Map<string, EtcdNode>();
  private network: ProxyNetwork | undefined;
  private runDir = '';
  private readonly clusterToken: string;
  private readonly proxied: boolean;

  constructor(options: { clusterToken?: string; proxied?: boolean } = {}) {
    this.clusterToken = options.clusterToken ?? `bench-${process.pid}-${Date.now()}`;
    this.proxied = options.proxied ?? true;
  }

  /** The members' own client addresses, bypassing the proxies. */
  directClientAddresses(): string[] {
    return [...this.nodes.values()].map((n) => `127.0.0.1:${n.clientPort}`);
  }

  nodeIds(): string[] {
    return [...this.nodes.values()].filter((n) => n.member).map((n) => n.id);
  }

  logsDir(): string {
    return path.join(this.runDir, 'logs');
  }

  async start(options: TargetStartOptions): Promise<void> {
    if (!etcdInstalled()) throw new TargetError('etcd-missing', ETCD_INSTALL_HINT);
    this.network = options.network;
    this.runDir = options.runDir;
    fs.mkdirSync(this.logsDir(), { recursive: true });
    for (let i = 1; i <= options.nodeCount; i += 1) {
      const id = `n${i}`;
      await this.createNode(id);
    }
    const initialCluster = this.initialCluster();
    for (const node of this.nodes.values()) this.spawn(node, { initialCluster, state: 'new' });
    await this.waitForLeader(30_000);
    await this.refreshMemberIds();
  }

  /** Process ids of the running etcd members. */
  serverPids(): number[] {
    return [...this.nodes.values()].flatMap((n) => (n.process.pid === undefined ? [] : [n.process.pid]));
  }

  /** The process of node `id` (n1, n2, ...), while it runs. */
  serverPidOf(id: string): number | undefined {
    return this.node(id).process.pid;
  }

  /** Node `id`'s own client address, bypassing its proxy. */
  directClientAddressOf(id: string): string {
    return `127.0.0.1:${this.node(id).clientPort}`;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.nodes.values()].map((n) => n.process.stop()));
    for (const node of this.nodes.values()) closeStubs(node.admin);
  }

  createKv(options: { clientIndex: number; deadlineMs: number }): KvAdapter {
    const endpoints = [...this.nodes.values()].map((n) => clientAddress(n));
    return new EtcdKv({ endpoints, firstIndex: options.clientIndex, deadlineMs: options.deadlineMs });
  }

  classifyError(error: unknown, options: { write: boolean }): ErrorCertainty {
    return classifyGrpcError(error, options);
  }

  async findLeader(): Promise<string | undefined> {
    const answers = await Promise.all(
      [...this.nodes.values()]
        .filter((n) => n.member && n.process.isRunning() && !n.process.isPaused())
        .map((n) =>
          callUnary<EtcdStatusResponse>({
            client: n.admin.maintenance,
            method: 'Status',
            request: {},
            deadlineMs: 500,
          }).catch(() => undefined),
        ),
    );
    let best: { term: bigint; leader: string } | undefined;
    for (const answer of answers) {
      if (answer === undefined || answer.leader === '0') continue;
      const term = BigInt(answer.raftTerm);
      if (best === undefined || term > best.term) best = { term, leader: answer.leader };
    }
    if (best === undefined) return undefined;
    return this.nodeByMemberId(best.leader)?.id;
  }

  isRunning(id: string): boolean {
    return this.node(id).process.isRunning();
  }

  async kill(id: string): Promise<void> {
    await this.node(id).process.kill();
  }

  async restart(id: string, options: RestartOptions = {}): Promise<void> {
    if ((options.failpoints ?? []).length > 0) {
      throw new TargetError('unsupported', 'etcd from Debian has no failpoints; disk faults are holdfast-only');
    }
    const node = this.node(id);
    if (node.process.isRunning()) await node.process.kill();
    this.spawn(node, { initialCluster: this.initialCluster(), state: 'existing' });
  }

  async pause(id: string): Promise<void> {
    this.node(id).process.signal('SIGSTOP');
  }

  async resume(id: string): Promise<void> {
    this.node(id).process.signal('SIGCONT');
  }

  waitForExit(id: string, timeoutMs: number): Promise<boolean> {
    return this.node(id).process.waitForExit(timeoutMs);
  }

  async wipeAndRejoin(id: string): Promise<void> {
    await this.removeMember(id);
    await this.addMember(id);
  }

  async removeMember(id: string): Promise<void> {
    const node = this.node(id);
    await this.refreshMemberIds();
    const memberId = node.memberId;
    if (memberId === undefined) throw new TargetError('no-member', `etcd node ${id} has no member id`);
    await retryUntil({
      action: () =>
        callUnary({
          client: this.adminOfAnother(id).cluster,
          method: 'MemberRemove',
          request: { ID: memberId },
          deadlineMs: ADMIN_DEADLINE_MS * 2,
        }),
      timeoutMs: 20_000,
      intervalMs: 500,
    });
    node.member = false;
    node.memberId = undefined;
    await node.process.kill();
  }

  async addMember(id: string): Promise<void> {
    const node = this.node(id);
    await node.process.kill();
    fs.rmSync(node.dataDir, { recursive: true, force: true });
    const peerUrl = `http://${peerAddress(node)}`;
    const added = await retryUntil({
      action: () =>
        callUnary<EtcdMemberAddResponse>({
          client: this.adminOfAnother(id).cluster,
          method: 'MemberAdd',
          request: { peerURLs: [peerUrl], isLearner: false },
          deadlineMs: ADMIN_DEADLINE_MS * 2,
        }),
      timeoutMs: 20_000,
      intervalMs: 500,
    });
    node.memberId = added.member.ID;
    node.member = true;
    // The new member's name is empty in the list until it starts; name it ourselves.
    const initialCluster = added.members
      .map((m) => {
        const known = this.nodeByMemberId(m.ID);
        return `${known?.id ?? m.name}=${m.peerURLs[0] ?? ''}`;
      })
      .join(',');
    this.spawn(node, { initialCluster, state: 'existing' });
  }

  async transferLeadership(toId?: string): Promise<void> {
    const leaderId = await this.findLeader();
    if (leaderId === undefined) throw new TargetError('no-leader', 'no leader to transfer from');
    await this.refreshMemberIds();
    const candidates = this.nodeIds().filter((n) => n !== leaderId);
    const target = this.node(toId ?? candidates[0] ?? leaderId);
    await callUnary({
      client: this.node(leaderId).admin.maintenance,
      method: 'MoveLeader',
      request: { targetID: target.memberId },
      deadlineMs: 5000,
    });
  }

  private node(id: string): EtcdNode {
    const node = this.nodes.get(id);
    if (node === undefined) throw new TargetError('no-node', `no etcd node ${id}`);
    return node;
  }

  private adminOfAnother(id: string): EtcdStubs {
    const other = [...this.nodes.values()].find(
      (n) => n.id !== id && n.member && n.process.isRunning() && !n.process.isPaused(),
    );
    if (other === undefined) throw new TargetError('no-node', `no running member besides ${id}`);
    return other.admin;
  }

  private nodeByMemberId(memberId: string): EtcdNode | undefined {
    return [...this.nodes.values()].find((n) => n.memberId === memberId);
  }

  private async createNode(id: string): Promise<void> {
    const network = this.network;
    if (network === undefined) throw new TargetError('not-started', 'etcd target not started');
    // Below the ephemeral range: a port the kernel picks (port 0) can be taken by the local end of
    // any outgoing connection before etcd binds it.
    const clientPort = await freePort();
    const peerPort = await freePort();
    const clientProxy = !this.proxied
      ? undefined
      : await network.addProxy({
          name: `client->${id}`,
          dialerId: 'client',
          listenerId: id,
          target: () => ({ host: '127.0.0.1', port: clientPort }),
        });
    // One proxy in front of each member's peer port, shared by every peer: etcd advertises one peer
    // URL per member, so the dialer is identified from its HTTP request headers.
    const peerProxy = !this.proxied
      ? undefined
      : await network.addProxy({
          name: `peers->${id}`,
          listenerId: id,
          classifyDialer: (head) => this.classifyPeer(head),
          target: () => ({ host: '127.0.0.1', port: peerPort }),
        });
    const node: EtcdNode = {
      id,
      clientPort,
      peerPort,
      clientProxy,
      peerProxy,
      process: new ManagedProcess(`etcd-${id}`),
      dataDir: path.join(this.runDir, 'data', id),
      admin: createStubs(`127.0.0.1:${clientPort}`),
      memberId: undefined,
      member: true,
    };
    this.nodes.set(id, node);
  }

  /** The dialing member, from the X-PeerURLs (its advertised proxy URL) or X-Server-From header. */
  private classifyPeer(head: Buffer): string | undefined {
    const text = head.toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const headers = text.slice(0, end).split('\r\n');
    for (const line of headers) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'x-peerurls') {
        const found = [...this.nodes.values()].find((n) => value.split(',').includes(`http://${peerAddress(n)}`));
        if (found !== undefined) return found.id;
      }
      if (name === 'x-server-from') {
        const found = [...this.nodes.values()].find(
          (n) => n.memberId !== undefined && BigInt(n.memberId).toString(16) === value,
        );
        if (found !== undefined) return found.id;
      }
    }
    return 'unknown';
  }

  private initialCluster(): string {
    return [...this.nodes.values()]
      .filter((n) => n.member)
      .map((n) => `${n.id}=http://${peerAddress(n)}`)
      .join(',');
  }

  private spawn(node: EtcdNode, options: { initialCluster: string; state: 'new' | 'existing' }): void {
    fs.mkdirSync(path.dirname(node.dataDir), { recursive: true });
    node.process.start({
      command: 'etcd',
      logFile: path.join(this.logsDir(), `${node.id}.log`),
      args: [
        `--name=${node.id}`,
        `--data-dir=${node.dataDir}`,
        `--listen-client-urls=http://127.0.0.1:${node.clientPort}`,
        `--advertise-client-urls=http://${clientAddress(node)}`,
        `--listen-peer-urls=http://127.0.0.1:${node.peerPort}`,
        `--initial-advertise-peer-urls=http://${peerAddress(node)}`,
        `--initial-cluster=${options.initialCluster}`,
        `--initial-cluster-state=${options.state}`,
        `--initial-cluster-token=${this.clusterToken}`,
        '--listen-metrics-urls=',
        '--logger=zap',
        '--log-outputs=stderr',
      ],
    });
  }

  private async waitForLeader(timeoutMs: number): Promise<void> {
    await retryUntil({
      action: async () => {
        const answers = await Promise.all(
          [...this.nodes.values()].map((n) =>
            callUnary<EtcdStatusResponse>({ client: n.admin.maintenance, method: 'Status', request: {}, deadlineMs: 1000 }),
          ),
        );
        if (answers.some((a) => a.leader === '0')) throw new TargetError('no-leader', 'no leader yet');
      },
      timeoutMs,
      intervalMs: 300,
    });
  }

  private async refreshMemberIds(): Promise<void> {
    const list = await retryUntil({
      action: () =>
        callUnary<EtcdMemberListResponse>({
          client: this.adminOfAnother('').cluster,
          method: 'MemberList',
          request: {},
          deadlineMs: ADMIN_DEADLINE_MS,
        }),
      timeoutMs: 10_000,
    });
    for (const member of list.members) {
      const node = this.nodes.get(member.name);
      if (node !== undefined) node.memberId = member.ID;
    }
  }
}

function peerAddress(node: EtcdNode): string {
  return node.peerProxy?.address ?? `127.0.0.1:${node.peerPort}`;
}

function clientAddress(node: EtcdNode): string {
  return node.clientProxy?.address ?? `127.0.0.1:${node.clientPort}`;
}

/** A client of the etcd v3 KV API over every endpoint, moving to the next one after an error. */
export class EtcdKv implements KvAdapter {
  private readonly stubs: EtcdStubs[];
  private readonly deadlineMs: number;
  private current: number;

  constructor(options: { endpoints: string[]; firstIndex: number; deadlineMs: number }) {
    this.stubs = options.endpoints.map(createStubs);
    this.deadlineMs = options.deadlineMs;
    this.current = options.firstIndex % this.stubs.length;
  }

  async get(key: string): Promise<KvValue> {
    const response = await this.call<EtcdRangeResponse>('Range', { key: Buffer.from(key), serializable: false });
    const kv = response.kvs[0];
    if (kv === undefined) return { value: null, version: 0 };
    return { value: kv.value.toString(), version: Number(kv.version) };
  }

  async put(key: string, value: string): Promise<void> {
    await this.call('Put', { key: Buffer.from(key), value: Buffer.from(value) });
  }

  /** Puts every key in one transaction (at most etcd's --max-txn-ops, 128 by default). */
  async putMany(keys: readonly string[], value: string): Promise<void> {
    const bytes = Buffer.from(value);
    await this.call('Txn', { compare: [], success: keys.map((key) => ({ request_put: { key: Buffer.from(key), value: bytes } })), failure: [] });
  }

  async cas(key: string, expected: string | null, value: string): Promise<boolean> {
    // Absent in etcd: version == 0. Present with a value: compare on the value.
    const compare =
      expected === null
        ? { result: 'EQUAL', target: 'VERSION', key: Buffer.from(key), version: '0' }
        : { result: 'EQUAL', target: 'VALUE', key: Buffer.from(key), value: Buffer.from(expected) };
    const response = await this.call<EtcdTxnResponse>('Txn', {
      compare: [compare],
      success: [{ request_put: { key: Buffer.from(key), value: Buffer.from(value) } }],
      failure: [],
    });
    return response.succeeded;
  }

  async delete(key: string): Promise<void> {
    await this.call('DeleteRange', { key: Buffer.from(key) });
  }

  close(): void {
    for (const stubs of this.stubs) closeStubs(stubs);
  }

  private async call<T>(method: string, request: object): Promise<T> {
    const stubs = this.stubs[this.current] as EtcdStubs;
    try {
      return await callUnary<T>({ client: stubs.kv, method, request, deadlineMs: this.deadlineMs });
    } catch (error) {
      this.current = (this.current + 1) % this.stubs.length;
      throw error;
    }
  }
}

/**
 * gRPC errors: for a read, any error means nothing happened. For a write, only errors raised before
 * the request left (no connection) or rejections of the request itself are certain failures;
 * everything else (deadline, reset, "request timed out", "leader changed") may have applied.
 */
export function classifyGrpcError(error: unknown, options: { write: boolean }): ErrorCertainty {
  if (!options.write) return 'failed';
  const code = (error as { code?: unknown }).code;
  const message = String((error as { message?: unknown }).message ?? '');
  if (code === grpc.status.INVALID_ARGUMENT || code === grpc.status.PERMISSION_DENIED) return 'failed';
  if (code === grpc.status.UNAVAILABLE && /No connection established|ECONNREFUSED/i.test(message)) return 'failed';
  return 'unknown';
}

export async function waitForEtcdLeader(target: EtcdTarget, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const leader = await target.findLeader();
    if (leader !== undefined) return leader;
    await sleep(200);
  }
  throw new TargetError('no-leader', `no etcd leader within ${timeoutMs} ms`);
}

/** Keys the member at `address` holds as of its own applied state (a serializable count). */
export async function countKeysServedBy(address: string, deadlineMs: number): Promise<number> {
  const stubs = createStubs(address);
  try {
    const answer = await callUnary<{ count: string }>({
      client: stubs.kv,
      method: 'Range',
      request: { key: Buffer.from([0]), range_end: Buffer.from([0]), count_only: true, serializable: true },
      deadlineMs,
    });
    return Number(answer.count);
  } finally {
    closeStubs(stubs);
  }
}
