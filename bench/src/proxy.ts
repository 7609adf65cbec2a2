import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Prng } from '@holdfast/raft';

/**
 * In-process TCP proxies the bench puts on every link it wants to control.
 *
 * Controls are per DIRECTION between two endpoints ("a->b"), not per proxy: one TCP connection
 * carries bytes both ways (a gRPC stream dialed by A to B carries B's answers too), so a one-way
 * cut from A to B must drop the bytes flowing A->B on every connection between them, whichever side
 * dialed it. Each proxied connection therefore has two pipes, each looking up the controls of its
 * own direction on every chunk.
 */

/** open: forward; blackhole: hold bytes (and do not connect) until healed; reset: destroy connections. */
export type LinkMode = 'open' | 'blackhole' | 'reset';

export interface DirectionControls {
  mode: LinkMode;
  latencyMs: number;
  /** Each chunk gets an extra delay drawn uniformly from [0, jitterMs); order is preserved. */
  jitterMs: number;
  /** 0 = unlimited. */
  bandwidthBytesPerSecond: number;
}

export interface Endpoint {
  host: string;
  port: number;
}

export interface ProxyNetworkOptions {
  prng: Prng;
  /** Bytes queued in one pipe before its source is paused (back-pressure, as a full TCP window). */
  queuedBytesMax?: number;
  /** Bytes read from a connection to identify its dialer before giving up and calling it 'unknown'. */
  classifyBytesMax?: number;
  /** Burst allowed by the token bucket of a bandwidth-limited direction. */
  bandwidthBurstBytes?: number;
}

export interface AddProxyOptions {
  /** Name for logs and stats, e.g. "n1->n2" or "client->n1". */
  name: string;
  /** The endpoint behind the proxy: bytes sent into the proxy flow dialer -> listenerId. */
  listenerId: string;
  /** The endpoint that dials this proxy, when only one does (one proxy per directed pair). */
  dialerId?: string;
  /**
   * For a proxy shared by several dialers: identify the dialer from the first bytes it sent.
   * Return undefined to ask for more bytes.
   */
  classifyDialer?: (head: Buffer) => string | undefined;
  /** Resolved at each new connection, so a restarted node on a new port is reached. */
  target: () => Endpoint | undefined;
}

export const OPEN_CONTROLS: Readonly<DirectionControls> = Object.freeze({
  mode: 'open',
  latencyMs: 0,
  jitterMs: 0,
  bandwidthBytesPerSecond: 0,
});

export const UNKNOWN_DIALER = 'unknown';

export class ProxyConfigError extends Error {
  override readonly name = 'ProxyConfigError';
  readonly code = 'proxy-config';
}

/** The baseline controls of the direction from -> to, or undefined for an open link. */
export type BaselineRule = (from: string, to: string) => Partial<Omit<DirectionControls, 'mode'>> | undefined;

export class ProxyNetwork {
  private readonly prng: Prng;
  readonly queuedBytesMax: number;
  readonly classifyBytesMax: number;
  readonly bandwidthBurstBytes: number;
  /** Latency between regions: always applied, under any fault. Keyed "from->to". */
  private readonly baseline = new Map<string, DirectionControls>();
  /**
   * The baseline of a direction not set one by one (setBaseline): regions give every endpoint
   * its delays by rule, so a member added during the run (wipe, member churn) gets them too.
   */
  private baselineRule: BaselineRule | undefined;
  /** Faults set by nemeses. Keyed "from->to". */
  private readonly faults = new Map<string, DirectionControls>();
  private readonly proxies = new Set<TcpProxy>();
  /** Token buckets per direction, shared by every connection of that direction. */
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(options: ProxyNetworkOptions) {
    this.prng = options.prng;
    this.queuedBytesMax = options.queuedBytesMax ?? 4 * 1024 * 1024;
    this.classifyBytesMax = options.classifyBytesMax ?? 16 * 1024;
    this.bandwidthBurstBytes = options.bandwidthBurstBytes ?? 16 * 1024;
  }

  async addProxy(options: AddProxyOptions): Promise<TcpProxy> {
    if (options.dialerId === undefined && options.classifyDialer === undefined) {
      throw new ProxyConfigError(`proxy ${options.name}: needs dialerId or classifyDialer`);
    }
    const proxy = new TcpProxy(this, options);
    await proxy.listen();
    this.proxies.add(proxy);
    return proxy;
  }

  /** Effective controls of one direction: the fault's mode, baseline and fault delays added. */
  controlsFor(from: string, to: string): DirectionControls {
    const key = directionKey(from, to);
    const base = this.baseline.get(key) ?? this.baselineByRule(from, to, key);
    const fault = this.faults.get(key) ?? OPEN_CONTROLS;
    return {
      mode: fault.mode,
      latencyMs: base.latencyMs + fault.latencyMs,
      jitterMs: base.jitterMs + fault.jitterMs,
      bandwidthBytesPerSecond: minPositive(base.bandwidthBytesPerSecond, fault.bandwidthBytesPerSecond),
    };
  }

  /** Baselines by rule for every direction not set with setBaseline (an answer is kept per direction). */
  setBaselineRule(rule: BaselineRule): void {
    this.baselineRule = rule;
    this.applyChanges();
  }

  private baselineByRule(from: string, to: string, key: string): DirectionControls {
    const controls = this.baselineRule?.(from, to);
    if (controls === undefined) return OPEN_CONTROLS;
    const base: DirectionControls = { ...OPEN_CONTROLS, ...controls, mode: 'open' };
    this.baseline.set(key, base);
    return base;
  }

  setBaseline(from: string, to: string, controls: Partial<Omit<DirectionControls, 'mode'>>): void {
    this.baseline.set(directionKey(from, to), { ...OPEN_CONTROLS, ...controls, mode: 'open' });
    this.applyChanges();
  }

  /** Set the fault controls of the direction from -> to (replacing any earlier fault there). */
  setFault(from: string, to: string, controls: Partial<DirectionControls>): void {
    validateControls(controls);
    const key = directionKey(from, to);
    this.faults.set(key, { ...OPEN_CONTROLS, ...controls });
    this.buckets.delete(key);
    this.applyChanges();
  }

  /** Cut the link between a and b: both ways, or only the bytes flowing a -> b. */
  cut(options: { a: string; b: string; oneWay?: boolean; mode?: 'blackhole' | 'reset' }): void {
    const mode = options.mode ?? 'blackhole';
    this.setFault(options.a, options.b, { mode });
    if (options.oneWay !== true) this.setFault(options.b, options.a, { mode });
  }

  /** Remove every fault (baseline latency stays). */
  healAll(): void {
    this.faults.clear();
    this.buckets.clear();
    this.applyChanges();
  }

  /** Remove the faults of both directions between a and b. */
  heal(a: string, b: string): void {
    this.faults.delete(directionKey(a, b));
    this.faults.delete(directionKey(b, a));
    this.applyChanges();
  }

  faultyDirections(): string[] {
    return [...this.faults.entries()]
      .filter(([, c]) => c.mode !== 'open' || c.latencyMs > 0 || c.jitterMs > 0 || c.bandwidthBytesPerSecond > 0)
      .map(([key]) => key);
  }

  bucketFor(from: string, to: string, bytesPerSecond: number): TokenBucket {
    const key = directionKey(from, to);
    let bucket = this.buckets.get(key);
    if (bucket === undefined || bucket.bytesPerSecond !== bytesPerSecond) {
      bucket = new TokenBucket({ bytesPerSecond, burstBytes: this.bandwidthBurstBytes });
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  jitterDraw(jitterMs: number): number {
    return jitterMs > 0 ? this.prng.float(0, jitterMs) : 0;
  }

  connectionCount(): number {
    let count = 0;
    for (const proxy of this.proxies) count += proxy.connectionCount();
    return count;
  }

  async close(): Promise<void> {
    const all = [...this.proxies];
    this.proxies.clear();
    await Promise.all(all.map((p) => p.close()));
  }

  private applyChanges(): void {
    for (const proxy of this.proxies) proxy.applyChanges();
  }
}

export class TcpProxy {
  readonly name: string;
  readonly listenerId: string;
  private readonly network: ProxyNetwork;
  private readonly options: AddProxyOptions;
  private readonly server: net.Server;
  private readonly connections = new Set<ProxiedConnection>();
  private listenPort = 0;

  constructor(network: ProxyNetwork, options: AddProxyOptions) {
    this.network = network;
    this.options = { ...options };
    this.name = options.name;
    this.listenerId = options.listenerId;
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => this.handleAccept(socket));
  }

  get port(): number {
    return this.listenPort;
  }

  get address(): string {
    return `127.0.0.1:${this.listenPort}`;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => {
        const address = this.server.address();
        if (address === null || typeof address === 'string') {
          reject(new ProxyConfigError(`proxy ${this.name}: no TCP address`));
          return;
        }
        this.listenPort = address.port;
        resolve();
      });
    });
  }

  connectionCount(): number {
    return this.connections.size;
  }

  applyChanges(): void {
    for (const connection of this.connections) connection.applyChanges();
  }

  /** Destroy every live connection (as a reset would), keep listening. */
  resetConnections(): void {
    for (const connection of [...this.connections]) connection.destroy(true);
  }

  close(): Promise<void> {
    for (const connection of [...this.connections]) connection.destroy(false);
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handleAccept(socket: net.Socket): void {
    const connection = new ProxiedConnection({
      network: this.network,
      inbound: socket,
      listenerId: this.listenerId,
      dialerId: this.options.dialerId,
      classifyDialer: this.options.classifyDialer,
      target: this.options.target,
      onClosed: (c) => this.connections.delete(c),
    });
    this.connections.add(connection);
    connection.start();
  }
}

interface ProxiedConnectionOptions {
  network: ProxyNetwork;
  inbound: net.Socket;
  listenerId: string;
  dialerId: string | undefined;
  classifyDialer: ((head: Buffer) => string | undefined) | undefined;
  target: () => Endpoint | undefined;
  onClosed: (connection: ProxiedConnection) => void;
}

class ProxiedConnection {
  readonly network: ProxyNetwork;
  readonly listenerId: string;
  /** Undefined until the dialer is identified; bytes are held meanwhile. */
  dialerId: string | undefined;
  private readonly options: ProxiedConnectionOptions;
  private readonly inbound: net.Socket;
  private upstream: net.Socket | undefined;
  private head: Buffer = Buffer.alloc(0);
  private destroyed = false;
  /** Bytes dialer -> listener. */
  readonly forward: Pipe;
  /** Bytes listener -> dialer. */
  backward: Pipe | undefined;

  constructor(options: ProxiedConnectionOptions) {
    this.options = options;
    this.network = options.network;
    this.listenerId = options.listenerId;
    this.dialerId = options.dialerId;
    this.inbound = options.inbound;
    this.forward = new Pipe({ connection: this, source: this.inbound, fromListener: false });
  }

  start(): void {
    this.inbound.setNoDelay(true);
    this.inbound.on('error', () => this.destroy(false));
    this.inbound.on('close', () => this.destroy(false));
    if (this.dialerId === undefined) {
      this.inbound.on('data', this.handleHeadChunk);
    } else {
      this.forward.attach();
    }
    this.applyChanges();
  }

  /** Controls of the direction this pipe carries, or undefined while the dialer is unknown. */
  controls(fromListener: boolean): DirectionControls | undefined {
    if (this.dialerId === undefined) return undefined;
    return fromListener
      ? this.network.controlsFor(this.listenerId, this.dialerId)
      : this.network.controlsFor(this.dialerId, this.listenerId);
  }

  applyChanges(): void {
    if (this.destroyed || this.dialerId === undefined) return;
    const toListener = this.network.controlsFor(this.dialerId, this.listenerId);
    const toDialer = this.network.controlsFor(this.listenerId, this.dialerId);
    if (toListener.mode === 'reset' || toDialer.mode === 'reset') {
      this.destroy(true);
      return;
    }
    // A blackhole either way stops the handshake of a new connection, as lost SYNs or SYN-ACKs would.
    if (this.upstream === undefined && toListener.mode === 'open' && toDialer.mode === 'open') {
      this.connectUpstream();
    }
    this.forward.flush();
    this.backward?.flush();
  }

  destroy(reset: boolean): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.forward.stop();
    this.backward?.stop();
    for (const socket of [this.inbound, this.upstream]) {
      if (socket === undefined) continue;
      if (reset && !socket.destroyed) socket.resetAndDestroy();
      else socket.destroy();
    }
    this.options.onClosed(this);
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  get upstreamSocket(): net.Socket | undefined {
    return this.upstream;
  }

  get inboundSocket(): net.Socket {
    return this.inbound;
  }

  private readonly handleHeadChunk = (chunk: Buffer): void => {
    this.forward.push(chunk);
    this.head = Buffer.concat([this.head, chunk]);
    const classify = this.options.classifyDialer;
    let dialer = classify === undefined ? UNKNOWN_DIALER : classify(this.head);
    if (dialer === undefined && this.head.length >= this.network.classifyBytesMax) dialer = UNKNOWN_DIALER;
    if (dialer === undefined) return;
    this.inbound.off('data', this.handleHeadChunk);
    this.head = Buffer.alloc(0);
    this.dialerId = dialer;
    this.forward.attach();
    this.applyChanges();
  };

  private connectUpstream(): void {
    const target = this.options.target();
    if (target === undefined) {
      this.destroy(false);
      return;
    }
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
    this.upstream = upstream;
    upstream.on('error', () => this.destroy(false));
    upstream.on('close', () => this.destroy(false));
    this.backward = new Pipe({ connection: this, source: upstream, fromListener: true });
    this.backward.attach();
    upstream.on('connect', () => this.forward.flush());
  }
}

interface PipeOptions {
  connection: ProxiedConnection;
  source: net.Socket;
  /** True for listener -> dialer bytes. */
  fromListener: boolean;
}

interface QueuedChunk {
  chunk: Buffer;
  dueAtMs: number;
}

/** One direction of one connection: an ordered delay queue that honours its direction's controls. */
class Pipe {
  private readonly connection: ProxiedConnection;
  private readonly source: net.Socket;
  private readonly fromListener: boolean;
  private readonly queue: QueuedChunk[] = [];
  private queuedBytes = 0;
  private lastDueAtMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private sourceEnded = false;
  private sinkEnded = false;
  private waitingForDrain = false;
  private stopped = false;
  private attached = false;

  constructor(options: PipeOptions) {
    this.connection = options.connection;
    this.source = options.source;
    this.fromListener = options.fromListener;
  }

  attach(): void {
    if (this.attached) return;
    this.attached = true;
    this.source.on('data', (chunk: Buffer) => this.push(chunk));
    this.source.on('end', () => {
      this.sourceEnded = true;
      this.flush();
    });
  }

  push(chunk: Buffer): void {
    if (this.stopped) return;
    const controls = this.connection.controls(this.fromListener);
    const nowMs = performance.now();
    let dueAtMs = nowMs;
    if (controls !== undefined) {
      dueAtMs += controls.latencyMs + this.connection.network.jitterDraw(controls.jitterMs);
      if (controls.bandwidthBytesPerSecond > 0) {
        const from = this.fromListener ? this.connection.listenerId : (this.connection.dialerId as string);
        const to = this.fromListener ? (this.connection.dialerId as string) : this.connection.listenerId;
        const bucket = this.connection.network.bucketFor(from, to, controls.bandwidthBytesPerSecond);
        dueAtMs = Math.max(dueAtMs, bucket.reserve({ bytes: chunk.length, nowMs }));
      }
    }
    // Order is preserved: a chunk never leaves before the one read before it.
    dueAtMs = Math.max(dueAtMs, this.lastDueAtMs);
    this.lastDueAtMs = dueAtMs;
    this.queue.push({ chunk, dueAtMs });
    this.queuedBytes += chunk.length;
    if (this.queuedBytes > this.connection.network.queuedBytesMax) this.source.pause();
    this.flush();
  }

  flush(): void {
    if (this.stopped || this.waitingForDrain) return;
    const controls = this.connection.controls(this.fromListener);
    const sink = this.fromListener ? this.connection.inboundSocket : this.connection.upstreamSocket;
    if (controls === undefined || controls.mode !== 'open' || sink === undefined || sink.connecting) return;
    const nowMs = performance.now();
    while (this.queue.length > 0) {
      const head = this.queue[0] as QueuedChunk;
      if (head.dueAtMs > nowMs) {
        this.schedule(head.dueAtMs - nowMs);
        break;
      }
      this.queue.shift();
      this.queuedBytes -= head.chunk.length;
      if (!sink.write(head.chunk)) {
        this.waitingForDrain = true;
        sink.once('drain', () => {
          this.waitingForDrain = false;
          this.flush();
        });
        break;
      }
    }
    if (this.queuedBytes <= this.connection.network.queuedBytesMax / 2 && this.source.isPaused()) {
      this.source.resume();
    }
    if (this.queue.length === 0 && this.sourceEnded && !this.sinkEnded) {
      this.sinkEnded = true;
      sink.end();
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.flush();
      },
      Math.max(0, Math.ceil(delayMs)),
    );
  }
}

/** A token bucket expressed as the time at which the next byte may leave. */
export class TokenBucket {
  readonly bytesPerSecond: number;
  private readonly burstBytes: number;
  private tokens: number;
  private updatedAtMs = -1;
  /** When the last reserved chunk may leave; later chunks queue behind it. */
  private busyUntilMs = 0;

  constructor(options: { bytesPerSecond: number; burstBytes: number }) {
    if (!(options.bytesPerSecond > 0)) {
      throw new ProxyConfigError(`token bucket: bytesPerSecond must be > 0, got ${options.bytesPerSecond}`);
    }
    this.bytesPerSecond = options.bytesPerSecond;
    this.burstBytes = options.burstBytes;
    this.tokens = options.burstBytes;
  }

  /** Take `bytes` from the bucket; returns when they may be sent. */
  reserve(options: { bytes: number; nowMs: number }): number {
    const { bytes, nowMs } = options;
    if (this.updatedAtMs < 0) this.updatedAtMs = nowMs;
    this.tokens = Math.min(this.burstBytes, this.tokens + ((nowMs - this.updatedAtMs) * this.bytesPerSecond) / 1000);
    this.updatedAtMs = nowMs;
    this.tokens -= bytes;
    const waitMs = this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.bytesPerSecond;
    this.busyUntilMs = Math.max(this.busyUntilMs, nowMs + waitMs);
    return this.busyUntilMs;
  }
}

export function directionKey(from: string, to: string): string {
  return `${from}->${to}`;
}

function minPositive(a: number, b: number): number {
  if (a <= 0) return b;
  if (b <= 0) return a;
  return Math.min(a, b);
}

function validateControls(controls: Partial<DirectionControls>): void {
  for (const field of ['latencyMs', 'jitterMs', 'bandwidthBytesPerSecond'] as const) {
    const value = controls[field];
    if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
      throw new ProxyConfigError(`${field} must be a finite number >= 0, got ${value}`);
    }
  }
}
