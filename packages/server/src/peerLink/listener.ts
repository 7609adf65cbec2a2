/**
 * The peer port: one TCP listener that answers both links. The first byte a dialler sends tells
 * them apart: the TCP link's greeting starts with 'H' (frames.ts), gRPC starts with HTTP/2's
 * preface or, with TLS, a TLS record; gRPC connections are handed to the grpc-js server whole.
 * So a member of an earlier release, which dials only gRPC, reaches this member as before, and
 * proxies and dial overrides in front of a peer address carry both links.
 *
 * A link connection: greeting, TLS when the cluster runs it (the dialler's certificate must be
 * signed by the cluster CA and name a member, as on gRPC), a hello checked like a gRPC batch's
 * header (cluster id with its epoch, sender, receiver), then frames, each checked before use.
 * Bad input is dropped and counted (holdfast_peer_messages_rejected_total), never thrown.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { PeerInputError } from '../peerInput.js';
import { MEMBER_URI_PREFIX, memberIdsOfCertificate, type TlsMaterial } from '../tls.js';
import { readBytes } from './dial.js';
import {
  decodeBody,
  encodeValueFrame,
  type Frame,
  FrameDecoder,
  FrameKind,
  type Hello,
  LINK_GREETING,
  LINK_GREETING_REPLY,
  LINK_VERSION,
  parseCheckpoints,
  parseHello,
} from './frames.js';
import { SNAPSHOT_STALL_MS, StallWatch } from './types.js';

/** What the listener needs of the transport to take a link's input (transport.ts implements it). */
export interface LinkInbound {
  /** The largest frame accepted (frameBytesMaxFor of tcpSender.ts). */
  readonly frameBytesMax: number;
  /** Checkpoints one frame may carry. */
  readonly checkpointsMax: number;
  /** Why a link is refused as a whole (another cluster or epoch, another member, a certificate of another member), or ''. */
  refusal(hello: Hello, certified: readonly number[] | string | undefined): string;
  heardHello(hello: Hello): void;
  heardCheckpoints(from: number, checkpoints: unknown[]): void;
  /** Delivers a batch's valid messages (dropping and counting the others); throws PeerInputError when the batch is unusable. */
  deliverBatch(from: number, bytes: Uint8Array, address: string): void;
  /** Decodes the snapshot message, stages the state from `chunks`, then delivers the message. */
  receiveSnapshot(from: number, messageBytes: Uint8Array, chunks: AsyncIterable<Uint8Array>, address: string): Promise<void>;
  reject(from: number, address: string, error: PeerInputError): void;
  /** How long a snapshot connection may bring no frame before it is cut (default SNAPSHOT_STALL_MS). */
  readonly snapshotStallMs?: number;
}

/** A dialler that does not finish its greeting, TLS and hello this soon is cut off. */
const HELLO_WAIT_MS = 5000;
/** Link connections open at once (each member opens one per peer, plus one per snapshot). */
const LINK_CONNECTIONS_MAX = 256;
/** Connections accepted that have not yet sent their first byte (which link they are). */
const SNIFFING_CONNECTIONS_MAX = 256;
/** Acks go back at most this often while batches arrive (the dialler's ACK_WAIT_MS is longer). */
export const ACK_EVERY_MS = 500;
/** Snapshot chunks received and not yet taken by the restore; past this the socket is paused. */
const SNAPSHOT_CHUNKS_QUEUED_MAX = 4;

export interface PeerListenerOptions {
  readonly grpcServer: grpc.Server;
  readonly grpcCredentials: grpc.ServerCredentials;
  readonly tls: TlsMaterial | undefined;
  readonly inbound: LinkInbound;
  readonly logger: Logger;
  /** Hand every connection to gRPC, as a release before the TCP link did (failpoint grpc-only, upgrade tests). */
  readonly grpcOnly?: boolean;
}

export class PeerListener {
  private readonly server: net.Server;
  private readonly tlsServer: tls.Server | undefined;
  private readonly injector: ReturnType<grpc.Server['createConnectionInjector']>;
  private readonly links = new Set<net.Socket>();
  /** Connections accepted whose first byte has not arrived. Invariant: <= SNIFFING_CONNECTIONS_MAX. */
  private sniffing = 0;

  constructor(private readonly options: PeerListenerOptions) {
    this.injector = options.grpcServer.createConnectionInjector(options.grpcCredentials);
    this.server = net.createServer({ noDelay: true }, (socket) => this.sniff(socket));
    if (options.tls !== undefined) {
      const material = options.tls.reloadable?.material ?? options.tls;
      this.tlsServer = tls.createServer({
        ca: material.ca,
        cert: material.cert,
        key: material.key,
        requestCert: true,
        rejectUnauthorized: true,
        handshakeTimeout: HELLO_WAIT_MS,
      });
      this.tlsServer.on('secureConnection', (socket: tls.TLSSocket) => this.serve(socket, certifiedSender(socket)));
      this.tlsServer.on('tlsClientError', (error, socket) => {
        options.logger.debug({ address: socket.remoteAddress, error: error.message }, 'TLS handshake on the peer link failed');
        socket.destroy();
      });
    }
  }

  /** Binds `address` (host:port); resolves with the port. */
  listen(address: string): Promise<number> {
    const colon = address.lastIndexOf(':');
    const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    const port = Number(address.slice(colon + 1));
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  /** New link connections use the reloaded certificates; open ones keep theirs. */
  setSecureContext(material: TlsMaterial): void {
    this.tlsServer?.setSecureContext({ ca: material.ca, cert: material.cert, key: material.key });
  }

  close(): void {
    this.server.close();
    for (const socket of this.links) socket.destroy();
    this.links.clear();
    this.injector.destroy();
  }

  private sniff(socket: net.Socket): void {
    socket.on('error', () => {});
    if (this.sniffing >= SNIFFING_CONNECTIONS_MAX) {
      // Connections that have not said which link they are: a flood of silent ones costs no more.
      socket.destroy();
      return;
    }
    this.sniffing += 1;
    let sniffed = false;
    const done = (): void => {
      if (sniffed) return;
      sniffed = true;
      this.sniffing -= 1;
      clearTimeout(timer);
    };
    const timer = setTimeout(() => socket.destroy(), HELLO_WAIT_MS);
    socket.once('close', done);
    const first = (): void => {
      const chunk = socket.read() as Buffer | null;
      if (chunk === null) return;
      socket.off('readable', first);
      done();
      socket.unshift(chunk);
      if (chunk[0] === LINK_GREETING[0] && this.options.grpcOnly !== true) this.acceptLink(socket);
      else this.injector.injectConnection(socket);
    };
    socket.on('readable', first);
  }

  private acceptLink(socket: net.Socket): void {
    const address = `${socket.remoteAddress}:${socket.remotePort}`;
    if (this.links.size >= LINK_CONNECTIONS_MAX) {
      this.options.inbound.reject(0, address, new PeerInputError('too-many-links', `${this.links.size} link connections are open already`));
      socket.destroy();
      return;
    }
    this.links.add(socket);
    socket.once('close', () => this.links.delete(socket));
    const timer = setTimeout(() => socket.destroy(), HELLO_WAIT_MS);
    readBytes(socket, LINK_GREETING.byteLength).then(
      (greeting) => {
        clearTimeout(timer);
        if (!greeting.equals(LINK_GREETING)) {
          this.options.inbound.reject(0, address, new PeerInputError('frame-framing', 'the connection starts as a link but its greeting is wrong'));
          socket.destroy();
          return;
        }
        socket.write(LINK_GREETING_REPLY);
        if (this.tlsServer === undefined) this.serve(socket, undefined);
        else this.tlsServer.emit('connection', socket);
      },
      () => {
        clearTimeout(timer);
        socket.destroy();
      },
    );
  }

  private serve(socket: net.Socket, certified: readonly number[] | string | undefined): void {
    new LinkConnection(socket, certified, this.options.inbound, this.options.logger).start();
  }
}

/** Who a link's TLS certificate says the dialler is (the member ids it names), or why it is refused. */
function certifiedSender(socket: tls.TLSSocket): readonly number[] | string {
  const ids = memberIdsOfCertificate(socket.getPeerCertificate());
  if (ids.length > 0) return ids;
  return `the certificate names no member (${MEMBER_URI_PREFIX}<id>): a client's certificate is refused on the peer port`;
}

/** One accepted link connection, from its hello to its close. */
class LinkConnection {
  private readonly decoder: FrameDecoder;
  private readonly address: string;
  private hello: Hello | undefined;
  private ended = false;
  private batches = 0;
  /** When the last batch arrived (monotonic ms): the ack says how long it was held, for the dialler's RTT. */
  private lastBatchAtMs = 0;
  private ackedAtMs = 0;
  private ackTimer: NodeJS.Timeout | undefined;
  private helloTimer: NodeJS.Timeout | undefined;
  private snapshot: ChunkQueue | undefined;
  /** Cuts a snapshot connection whose sender stopped sending before the end (the restore would wait forever). */
  private snapshotStall: StallWatch | undefined;

  constructor(
    private readonly socket: net.Socket,
    private readonly certified: readonly number[] | string | undefined,
    private readonly inbound: LinkInbound,
    private readonly logger: Logger,
  ) {
    this.decoder = new FrameDecoder(inbound.frameBytesMax);
    this.address = `${socket.remoteAddress}:${socket.remotePort}`;
  }

  start(): void {
    this.helloTimer = setTimeout(() => this.socket.destroy(), HELLO_WAIT_MS);
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.received(chunk));
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      clearTimeout(this.ackTimer);
      clearTimeout(this.helloTimer);
      this.snapshotStall?.stop();
      this.snapshot?.fail(new PeerInputError('snapshot-framing', 'the snapshot link closed before its end'));
    });
  }

  private get from(): number {
    return this.hello?.from ?? 0;
  }

  private received(chunk: Buffer): void {
    if (this.ended) return;
    try {
      for (const frame of this.decoder.push(chunk)) {
        if (this.ended) return;
        this.handle(frame);
      }
    } catch (error) {
      const problem = error instanceof PeerInputError ? error : new PeerInputError('internal', (error as Error).stack ?? String(error));
      // Bad framing, or a fault of this member's own code: nothing later on this connection lines up.
      this.inbound.reject(this.from, this.address, problem);
      this.end();
    }
  }

  private handle(frame: Frame): void {
    if (this.hello === undefined) {
      this.handleHello(frame);
      return;
    }
    if (this.hello.purpose === 'snapshot') {
      this.handleSnapshotFrame(frame);
      return;
    }
    if (frame.kind === FrameKind.batch) {
      this.lastBatchAtMs = performance.now();
      this.inbound.deliverBatch(this.hello.from, frame.body, this.address);
      this.batches += 1;
      this.maybeAck();
      return;
    }
    if (frame.kind === FrameKind.checkpoints) {
      this.inbound.heardCheckpoints(this.hello.from, parseCheckpoints(decodeBody(frame), this.inbound.checkpointsMax));
      return;
    }
    throw new PeerInputError('frame-framing', `a frame of kind ${frame.kind} on a raft link`);
  }

  private handleHello(frame: Frame): void {
    if (frame.kind !== FrameKind.hello) throw new PeerInputError('hello', `the first frame is of kind ${frame.kind}, not a hello`);
    const hello = parseHello(decodeBody(frame));
    clearTimeout(this.helloTimer);
    const refusal =
      hello.version === LINK_VERSION ? this.inbound.refusal(hello, this.certified) : `link version ${hello.version} is not ${LINK_VERSION}: this member speaks only version ${LINK_VERSION}`;
    if (refusal !== '') {
      this.inbound.reject(hello.from, this.address, new PeerInputError('refused', refusal));
      this.socket.write(encodeValueFrame(FrameKind.refused, { ok: false, error: refusal }));
      this.end();
      return;
    }
    this.hello = hello;
    this.inbound.heardHello(hello);
  }

  /** Acknowledges at once if the last ack is ACK_EVERY_MS old, else once that much time has passed. */
  private maybeAck(): void {
    if (this.ackTimer !== undefined) return;
    const waitMs = this.ackedAtMs + ACK_EVERY_MS - Date.now();
    if (waitMs <= 0) {
      this.ack();
      return;
    }
    this.ackTimer = setTimeout(() => this.ack(), waitMs);
  }

  private ack(): void {
    this.ackTimer = undefined;
    this.ackedAtMs = Date.now();
    // heldMs: how long the last batch waited for this ack, so the dialler can time its round trip
    // (tcpSender.ts); a dialler of an earlier release reads only `batches`.
    const heldMs = Math.max(0, performance.now() - this.lastBatchAtMs);
    if (!this.socket.destroyed) this.socket.write(encodeValueFrame(FrameKind.ack, { batches: this.batches, heldMs }));
  }

  private handleSnapshotFrame(frame: Frame): void {
    const hello = this.hello as Hello;
    if (this.snapshot === undefined) {
      if (frame.kind !== FrameKind.snapshotMessage) throw new PeerInputError('snapshot-framing', `a snapshot link starts with a frame of kind ${frame.kind}`);
      this.snapshot = new ChunkQueue(this.socket);
      this.snapshotStall = new StallWatch(this.inbound.snapshotStallMs ?? SNAPSHOT_STALL_MS, () => this.socket.destroy());
      this.inbound.receiveSnapshot(hello.from, frame.body, this.snapshot, this.address).then(
        () => this.finishSnapshot({ ok: true, error: '' }),
        (error: unknown) => this.finishSnapshot({ ok: false, error: (error as Error).message }),
      );
      return;
    }
    this.snapshotStall?.progress();
    if (frame.kind === FrameKind.snapshotChunk) this.snapshot.push(frame.body);
    else if (frame.kind === FrameKind.snapshotEnd) {
      this.snapshotStall?.stop();
      this.snapshot.end();
    } else throw new PeerInputError('snapshot-framing', `a frame of kind ${frame.kind} on a snapshot link`);
  }

  private finishSnapshot(result: { ok: boolean; error: string }): void {
    if (this.socket.destroyed) return;
    this.socket.end(encodeValueFrame(FrameKind.snapshotResult, result));
  }

  private end(): void {
    this.ended = true;
    this.snapshot?.fail(new PeerInputError('snapshot-framing', 'the snapshot link was cut'));
    this.socket.end();
    // A dialler that never reads its end of the connection must not hold it open.
    setTimeout(() => this.socket.destroy(), HELLO_WAIT_MS).unref();
    this.logger.debug({ address: this.address }, 'peer link ended');
  }
}

/**
 * A snapshot's chunks from the socket to the restore, at most SNAPSHOT_CHUNKS_QUEUED_MAX queued:
 * past that the socket is paused until the restore takes more.
 */
class ChunkQueue implements AsyncIterable<Uint8Array> {
  private readonly chunks: Uint8Array[] = [];
  private done = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly socket: net.Socket) {}

  push(chunk: Uint8Array): void {
    if (this.done) throw new PeerInputError('snapshot-framing', 'a chunk after the snapshot ended');
    this.chunks.push(chunk);
    if (this.chunks.length >= SNAPSHOT_CHUNKS_QUEUED_MAX) this.socket.pause();
    this.notify();
  }

  end(): void {
    if (this.done) throw new PeerInputError('snapshot-framing', 'the snapshot ended twice');
    this.done = true;
    this.notify();
  }

  fail(error: Error): void {
    if (this.done) return;
    this.done = true;
    this.failure = error;
    this.notify();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk !== undefined) {
        if (this.chunks.length < SNAPSHOT_CHUNKS_QUEUED_MAX) this.socket.resume();
        yield chunk;
        continue;
      }
      if (this.failure !== undefined) throw this.failure;
      if (this.done) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}
