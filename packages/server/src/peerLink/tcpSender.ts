/**
 * The sending side of the TCP peer link towards one peer: one long-lived connection carrying
 * batches of Raft messages as frames (frames.ts), a bounded queue, redial with backoff, and each
 * snapshot on a connection of its own. Raft retransmits on its own, so a full queue, a link that
 * is down or backing off drops messages and reports the peer unreachable instead of growing.
 */
import type { Message, NodeId } from '@holdfast/raft';
import { encodeBatches, encodeMessages } from '../peerInput.js';
import { dialLink, type LinkSocket, NotALinkPeerError } from './dial.js';
import { decodeBody, encodeFrame, encodeValueFrame, FrameDecoder, FrameKind, ackHeldMs, parseAck, parseResult } from './frames.js';
import { type PeerLink, SNAPSHOT_STALL_MS, StallWatch, type TransportOptions } from './types.js';
import { PeerQueue } from './peerQueue.js';

/** Name resolution, connect, greeting, TLS: a dial to a name or address nobody answers for must not hang longer. */
export const DIAL_WAIT_MS = 1000;
/**
 * A batch not acknowledged this long means the connection hangs (a peer gone without a word, a
 * partition): it is closed and dialled again. The listener acknowledges within ACK_EVERY_MS.
 */
export const ACK_WAIT_MS = 2000;
/** A peer that keeps refusing the link is logged at most this often. */
const REFUSAL_LOG_EVERY_MS = 10_000;
/** Send times of the latest batches kept for timing their acks (a ring; older batches go untimed). */
const BATCH_TIMES_KEPT = 64;
/** Frames the listener sends back (acks, a refusal, a snapshot's result) are small. */
const REPLY_FRAME_BYTES_MAX = 64 * 1024;

/** The largest frame a member sends or accepts: a batch or a snapshot chunk, with room for a whole message. */
export function frameBytesMaxFor(messageBytesMax: number): number {
  return 4 * messageBytesMax + 1024 * 1024;
}

export interface TcpPeerLinkEvents {
  /**
   * The peer answered the greeting as a member of an earlier release does: it speaks only gRPC.
   * `queued`: the messages that waited for the link, handed over rather than dropped.
   */
  speaksOnlyGrpc(problem: string, queued: readonly Message[]): void;
}

export class TcpPeerLink implements PeerLink {
  private socket: LinkSocket | undefined;
  private dialing = false;
  private readonly queue: PeerQueue;
  private waitingForDrain = false;
  private snapshotInFlight = false;
  private closed = false;
  private batchesSent = 0;
  /**
   * When batch n was written (monotonic ms), at n % BATCH_TIMES_KEPT, tagged with n: an ack naming
   * batch n with the time the listener held it gives one round-trip sample (PeerRtt).
   */
  private readonly batchSentAtMs: { batch: number; atMs: number }[] = [];
  /** When the oldest batch no ack has covered yet was written; undefined: all acknowledged. */
  private unackedSinceMs: number | undefined;
  private readonly frameBytesMax: number;
  private refusalLoggedAtMs = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly peerId: NodeId,
    private readonly options: TransportOptions,
    private readonly events: TcpPeerLinkEvents,
  ) {
    this.queue = new PeerQueue(peerId, options);
    this.frameBytesMax = frameBytesMaxFor(options.messageBytesMax);
  }

  get depth(): number {
    return this.queue.depth;
  }

  enqueue(message: Message): void {
    if (this.closed) return;
    if (message.type === 'snapshot') {
      this.sendSnapshot(message);
      return;
    }
    this.queue.admit(message);
  }

  flush(): void {
    if (this.closed || this.queue.depth === 0) return;
    const socket = this.socket;
    if (socket === undefined) {
      this.maybeDial();
      return;
    }
    if (this.unackedSinceMs !== undefined && Date.now() - this.unackedSinceMs > ACK_WAIT_MS) {
      socket.destroy(new Error(`no ack for ${Date.now() - this.unackedSinceMs} ms`));
      return;
    }
    if (this.waitingForDrain) return;
    const messages = this.queue.take();
    socket.cork();
    this.writeBatches(socket, messages);
    const checkpoints = this.options.handlers.checkpointsFor?.(this.peerId) ?? [];
    if (checkpoints.length > 0) socket.write(encodeValueFrame(FrameKind.checkpoints, checkpoints));
    socket.uncork();
    if (socket.writableNeedDrain) {
      this.waitingForDrain = true;
      socket.once('drain', () => {
        this.waitingForDrain = false;
        this.flush();
      });
    }
    this.queue.reportDepth();
  }

  /**
   * An empty batch (a msgpack empty array: every release takes it, delivering nothing) whose
   * ack times the round trip. Not while the link is backed up or down: a down link is dialled,
   * and the next probe goes on it.
   */
  probe(): void {
    if (this.closed || this.waitingForDrain) return;
    const socket = this.socket;
    if (socket === undefined) {
      this.maybeDial();
      return;
    }
    this.writeBatches(socket, []);
  }

  /** One frame per batch body; a batch over the frame limit goes as several (rare: many large appends at once). */
  private writeBatches(socket: LinkSocket, messages: readonly Message[]): void {
    const { bodies, tooLarge } = encodeBatches(messages, this.frameBytesMax);
    for (const { message, bytes } of tooLarge) {
      // The receiver would refuse the frame. Dropped; Raft retries.
      this.options.logger.error({ peer: this.peerId, type: message.type, bytes, frameBytesMax: this.frameBytesMax }, 'a message larger than a frame; dropped');
    }
    if (tooLarge.length > 0) this.options.handlers.reportUnreachable(this.peerId);
    for (const body of bodies) {
      const header = Buffer.allocUnsafe(5);
      header.writeUInt32BE(1 + body.byteLength, 0);
      header.writeUInt8(FrameKind.batch, 4);
      socket.write(header);
      socket.write(body);
      this.batchesSent += 1;
      this.batchSentAtMs[this.batchesSent % BATCH_TIMES_KEPT] = { batch: this.batchesSent, atMs: performance.now() };
      this.unackedSinceMs ??= Date.now();
    }
  }

  private maybeDial(): void {
    if (this.dialing || this.queue.backingOff()) return;
    const address = this.options.addressOf(this.peerId);
    if (address === undefined) {
      this.queue.dropAll();
      return;
    }
    this.dialing = true;
    dialLink(this.dialOptions(address, 'raft')).then(
      (socket) => {
        this.dialing = false;
        if (this.closed) {
          socket.destroy();
          return;
        }
        this.adopt(socket, address);
        this.flush();
      },
      (error: Error) => {
        this.dialing = false;
        this.failed(address, error);
      },
    );
  }

  private dialOptions(address: string, purpose: 'raft' | 'snapshot') {
    const { selfId, clusterId, applyVersion, tls, identityRefused, readTerms } = this.options;
    return {
      address,
      peerId: this.peerId,
      selfId,
      clusterId,
      applyVersion,
      ...(readTerms === undefined ? {} : { readTerms }),
      purpose,
      tls,
      dialWaitMs: DIAL_WAIT_MS,
      ...(this.options.peerNames === undefined ? {} : { names: this.options.peerNames }),
      identityRefused: (problem: string) => identityRefused?.(this.peerId, problem),
    };
  }

  private adopt(socket: LinkSocket, address: string): void {
    this.socket = socket;
    this.batchesSent = 0;
    this.batchSentAtMs.length = 0;
    this.unackedSinceMs = undefined;
    this.waitingForDrain = false;
    const decoder = new FrameDecoder(REPLY_FRAME_BYTES_MAX);
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) this.heard(socket, frame.kind, decodeBody(frame));
      } catch (error) {
        socket.destroy(error as Error);
      }
    });
    const drop = (error?: Error): void => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.waitingForDrain = false;
      socket.destroy();
      if (this.closed) return;
      this.failed(address, error ?? new Error('the peer closed the link'));
    };
    socket.on('error', drop);
    socket.on('close', () => drop());
  }

  private heard(socket: LinkSocket, kind: number, value: unknown): void {
    if (kind === FrameKind.ack) {
      const batches = parseAck(value);
      this.maybeTimeRoundTrip(batches, ackHeldMs(value));
      this.queue.answered();
      // Batches written after the one acknowledged are younger than this ack.
      this.unackedSinceMs = batches >= this.batchesSent ? undefined : Date.now();
      return;
    }
    if (kind === FrameKind.refused) {
      const { error } = parseResult(value);
      // Redialled every BACKOFF_MS_MAX while the cause lasts: said once per REFUSAL_LOG_EVERY_MS.
      const now = Date.now();
      if (now - this.refusalLoggedAtMs >= REFUSAL_LOG_EVERY_MS) {
        this.refusalLoggedAtMs = now;
        // The gRPC link's words, so that an operator's alert matches either link.
        this.options.logger.warn({ peer: this.peerId, error }, 'peer refused the raft stream');
      }
      socket.destroy(new Error(`refused: ${error}`));
      return;
    }
    socket.destroy(new Error(`unexpected frame kind ${kind} from the listener`));
  }

  /**
   * The ack names batch `batches`, held `heldMs` by the listener: the rest of the time since it
   * was written is the round trip (wire, proxies, both event loops). A batch written while the
   * socket was backed up waited in this member's buffer too, so none is timed then.
   */
  private maybeTimeRoundTrip(batches: number, heldMs: number | undefined): void {
    const observe = this.options.handlers.roundTripMeasured;
    if (observe === undefined || heldMs === undefined || this.waitingForDrain) return;
    const sent = this.batchSentAtMs[batches % BATCH_TIMES_KEPT];
    if (sent === undefined || sent.batch !== batches) return;
    const rttMs = performance.now() - sent.atMs - heldMs;
    if (rttMs >= 0) observe(this.peerId, rttMs);
  }

  private failed(address: string, error: Error): void {
    if (error instanceof NotALinkPeerError && !this.closed) {
      this.events.speaksOnlyGrpc(error.message, this.queue.take());
      return;
    }
    this.queue.backOff();
    this.queue.dropAll();
    if (this.closed) return;
    this.options.logger.debug({ peer: this.peerId, error: error.message }, 'peer link closed; will redial');
    this.queue.failedAt(address, error.message);
  }

  private sendSnapshot(message: Message): void {
    if (this.snapshotInFlight) return;
    const address = this.options.addressOf(this.peerId);
    if (address === undefined) {
      this.options.handlers.reportSnapshot(this.peerId, false);
      return;
    }
    this.snapshotInFlight = true;
    this.streamSnapshot(address, message).then(
      () => {
        this.snapshotInFlight = false;
        this.options.handlers.reportSnapshot(this.peerId, true);
      },
      (error: unknown) => {
        this.snapshotInFlight = false;
        this.options.logger.warn({ peer: this.peerId, error: (error as Error).message }, 'snapshot send failed');
        this.options.handlers.reportSnapshot(this.peerId, false);
        this.options.handlers.reportUnreachable(this.peerId);
      },
    );
  }

  /** The snapshot on a connection of its own, so heartbeats and appends are not stuck behind it. */
  private async streamSnapshot(address: string, message: Message): Promise<void> {
    const socket = await dialLink(this.dialOptions(address, 'snapshot'));
    const stallMs = this.options.snapshotStallMs ?? SNAPSHOT_STALL_MS;
    const watch = new StallWatch(stallMs, () => socket.destroy(new Error(`the snapshot made no progress for ${stallMs} ms`)));
    try {
      const result = snapshotResultOf(socket);
      // Awaited at the end; a failure before then (the link closed while sending) is thrown by write.
      result.catch(() => {});
      const write = async (frame: Buffer): Promise<void> => {
        if (socket.destroyed) throw new Error('the snapshot link closed');
        if (socket.write(frame)) {
          watch.progress();
          return;
        }
        await new Promise<void>((resolve) => {
          const done = (): void => {
            socket.off('drain', done);
            socket.off('close', done);
            resolve();
          };
          socket.once('drain', done);
          socket.once('close', done);
        });
        watch.progress();
      };
      await write(encodeFrame(FrameKind.snapshotMessage, encodeMessages([message])));
      // Each state-machine chunk travels whole: the chunks check themselves and must not be split.
      for await (const data of this.options.handlers.readSnapshot(message)) {
        if (data.byteLength > this.frameBytesMax) throw new Error(`a snapshot chunk of ${data.byteLength} bytes, more than a frame (${this.frameBytesMax})`);
        await write(encodeFrame(FrameKind.snapshotChunk, data));
      }
      await write(encodeFrame(FrameKind.snapshotEnd, new Uint8Array()));
      const answer = await result;
      if (!answer.ok) throw new Error(`peer refused the snapshot: ${answer.error}`);
    } finally {
      watch.stop();
      socket.destroy();
    }
  }

  close(): void {
    this.closed = true;
    this.queue.clear();
    this.socket?.destroy();
    this.socket = undefined;
  }
}

/** The listener's answer on a snapshot connection: its result frame, or its refusal. */
function snapshotResultOf(socket: LinkSocket): Promise<{ ok: boolean; error: string }> {
  return new Promise((resolve, reject) => {
    const decoder = new FrameDecoder(REPLY_FRAME_BYTES_MAX);
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) {
          if (frame.kind === FrameKind.snapshotResult || frame.kind === FrameKind.refused) resolve(parseResult(decodeBody(frame)));
        }
      } catch (error) {
        reject(error);
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('the snapshot link closed before its result')));
  });
}
