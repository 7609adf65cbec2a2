/**
 * The frames of the TCP peer link (tcpLink.ts): after an 8-byte greeting each way, a stream of
 * frames, each a 4-byte big-endian length, then one byte of kind, then the body (length counts
 * kind and body). Bodies are msgpack (msgpackr) except a snapshot's data chunks, which travel raw.
 *
 * Anyone who reaches the peer port can send anything: the decoder never allocates more than one
 * frame of at most `frameBytesMax`, and every body is checked before it is used (a batch's
 * messages by decodeBatch in peerInput.ts, the rest here). Bad framing is a PeerInputError; the
 * connection that carried it is closed, since nothing after it can be trusted to line up.
 */
import { Packr } from 'msgpackr';
import { PeerInputError } from '../peerInput.js';

/**
 * What a dialler writes first on the peer port. Its first byte, 'H', is neither the first byte of
 * a TLS record (0x16) nor of HTTP/2's preface ('P'): the listener tells the link from gRPC by it.
 */
export const LINK_GREETING = Buffer.from('HFLINK1\n', 'latin1');
/** What the listener answers before anything else; a member that speaks only gRPC answers otherwise. */
export const LINK_GREETING_REPLY = Buffer.from('HFLINK1\r', 'latin1');
export const FRAME_HEADER_BYTES = 5;

export const FrameKind = {
  /** dialler → listener, first frame: who is calling whom, for what (Hello). */
  hello: 1,
  /** listener → dialler: the hello was refused (HelloRefusal), then the connection closes. */
  refused: 2,
  /** dialler → listener: a msgpack array of Raft messages (peerInput.ts decodes it). */
  batch: 3,
  /** dialler → listener: a msgpack array of state hash checkpoints (stateHashes.ts). */
  checkpoints: 4,
  /** listener → dialler: batches received so far (Ack); its absence tells the dialler the link hangs. */
  ack: 5,
  /** dialler → listener on a snapshot connection: the snapshot message, a msgpack array of one. */
  snapshotMessage: 6,
  /** dialler → listener: one chunk of the snapshot's state, raw, passed whole to the restore. */
  snapshotChunk: 7,
  /** dialler → listener: the state is complete. */
  snapshotEnd: 8,
  /** listener → dialler: the snapshot was installed or why not (SnapshotResult). */
  snapshotResult: 9,
} as const;
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind];
const FRAME_KIND_MAX = 9;

export interface Frame {
  readonly kind: FrameKind;
  readonly body: Uint8Array;
}

export type LinkPurpose = 'raft' | 'snapshot';

export interface Hello {
  /** Of the link's frames; a listener refuses a version it does not speak. */
  readonly version: number;
  readonly clusterId: string;
  readonly from: number;
  readonly to: number;
  readonly purpose: LinkPurpose;
  /** The newest apply version the dialler's release implements. */
  readonly applyVersion: number;
  /** How the dialler serves reads and keeps a leader's lease; absent from an earlier release (ReadTerms). */
  readonly readTerms?: ReadTerms;
}

/**
 * What a member tells each peer it dials about its side of a leader's read lease (driver/lease.ts):
 * a leader in lease mode takes a lease only while every voter announced lease mode with a
 * campaign wait at least as long as the one its lease assumes, and the same clock-drift bound.
 */
export interface ReadTerms {
  readonly readMode: 'read-index' | 'lease';
  /** (electionTicks - 2) * tickMs: how long, on its clock, it ignores campaigns after hearing a leader. */
  readonly campaignWaitMs: number;
  readonly clockDriftMaxPercent: number;
}

export const LINK_VERSION = 1;
/** Longest cluster id a hello may carry (config allows far less in practice). */
const CLUSTER_ID_CHARS_MAX = 1024;

const packr = new Packr({ useRecords: false });

export function encodeFrame(kind: FrameKind, body: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.byteLength);
  frame.writeUInt32BE(1 + body.byteLength, 0);
  frame.writeUInt8(kind, 4);
  frame.set(body, FRAME_HEADER_BYTES);
  return frame;
}

/** A frame whose body is `value` in msgpack. */
export function encodeValueFrame(kind: FrameKind, value: unknown): Buffer {
  return encodeFrame(kind, packr.pack(value));
}

/** The body of a frame, decoded; PeerInputError('undecodable') when it is not msgpack. */
export function decodeBody(frame: Frame): unknown {
  try {
    return packr.unpack(frame.body);
  } catch (error) {
    throw new PeerInputError('undecodable', `frame of kind ${frame.kind} does not decode: ${(error as Error).message}`);
  }
}

/**
 * Cuts a byte stream into frames. Holds at most one partial frame; a length over
 * `frameBytesMax`, a zero length or an unknown kind throws PeerInputError before the body is read.
 */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes the frame in progress needs in all (its header's length), or a header's. */
  private awaitedBytes = FRAME_HEADER_BYTES;

  constructor(private readonly frameBytesMax: number) {}

  /** Bytes received and not yet part of a returned frame. Invariant: <= frameBytesMax + FRAME_HEADER_BYTES. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** Takes the next bytes of the stream; returns every frame they complete, in order. */
  push(chunk: Buffer): Frame[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.byteLength;
    // A large frame arrives in many chunks: they are joined once, when it is complete.
    if (this.pendingBytes < this.awaitedBytes) return [];
    const frames: Frame[] = [];
    let buffer = this.pending.length === 1 ? chunk : Buffer.concat(this.pending, this.pendingBytes);
    let offset = 0;
    this.awaitedBytes = FRAME_HEADER_BYTES;
    while (buffer.byteLength - offset >= FRAME_HEADER_BYTES) {
      const length = buffer.readUInt32BE(offset);
      const kind = buffer.readUInt8(offset + 4);
      this.checkHeader(length, kind);
      if (buffer.byteLength - offset < 4 + length) {
        this.awaitedBytes = 4 + length;
        break;
      }
      frames.push({ kind: kind as FrameKind, body: buffer.subarray(offset + FRAME_HEADER_BYTES, offset + 4 + length) });
      offset += 4 + length;
    }
    buffer = buffer.subarray(offset);
    this.pending = buffer.byteLength === 0 ? [] : [buffer];
    this.pendingBytes = buffer.byteLength;
    return frames;
  }

  private checkHeader(length: number, kind: number): void {
    if (length < 1) throw new PeerInputError('frame-framing', 'a frame of length 0');
    if (length - 1 > this.frameBytesMax) {
      throw new PeerInputError('frame-too-large', `a frame of ${length - 1} bytes, more than ${this.frameBytesMax}`);
    }
    if (kind < 1 || kind > FRAME_KIND_MAX) throw new PeerInputError('frame-framing', `unknown frame kind ${kind}`);
  }
}

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A hello as sent, or PeerInputError('hello') saying what is wrong with it. */
export function parseHello(value: unknown): Hello {
  if (!isRecord(value)) throw new PeerInputError('hello', 'the hello is not a map');
  const { version, clusterId, from, to, purpose, applyVersion } = value;
  if (!isCount(version)) throw new PeerInputError('hello', 'the hello has no version');
  if (typeof clusterId !== 'string' || clusterId.length > CLUSTER_ID_CHARS_MAX) throw new PeerInputError('hello', 'the hello has no cluster id');
  if (!isCount(from) || !isCount(to)) throw new PeerInputError('hello', 'the hello has no sender and receiver ids');
  if (purpose !== 'raft' && purpose !== 'snapshot') throw new PeerInputError('hello', `the hello's purpose ${JSON.stringify(purpose)} is neither raft nor snapshot`);
  if (!isCount(applyVersion)) throw new PeerInputError('hello', 'the hello has no apply version');
  const readTerms = parseReadTerms(value['readTerms']);
  return { version, clusterId, from, to, purpose, applyVersion, ...(readTerms === undefined ? {} : { readTerms }) };
}

/** A hello's read terms; undefined when absent or unusable (then the dialler counts as not in lease mode). */
function parseReadTerms(value: unknown): ReadTerms | undefined {
  if (!isRecord(value)) return undefined;
  const { readMode, campaignWaitMs, clockDriftMaxPercent } = value;
  if (readMode !== 'lease' && readMode !== 'read-index') return undefined;
  const finite = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;
  if (!finite(campaignWaitMs) || !finite(clockDriftMaxPercent)) return undefined;
  return { readMode, campaignWaitMs, clockDriftMaxPercent };
}

/** An ack's count of batches, or PeerInputError('ack'). */
export function parseAck(value: unknown): number {
  if (!isRecord(value) || !isCount(value['batches'])) throw new PeerInputError('ack', 'an ack without a count of batches');
  return value['batches'];
}

/** An ack held a batch this long at most before it was sent (ACK_EVERY_MS is far less): more is nonsense. */
const ACK_HELD_MS_MAX = 60_000;

/**
 * How long the listener held the last batch before this ack (ms), for the dialler's round-trip
 * time; undefined when the ack has none (a listener of an earlier release) or an unusable one.
 */
export function ackHeldMs(value: unknown): number | undefined {
  if (!isRecord(value)) return undefined;
  const held = value['heldMs'];
  return typeof held === 'number' && Number.isFinite(held) && held >= 0 && held <= ACK_HELD_MS_MAX ? held : undefined;
}

/** A refusal's or a snapshot result's text, or PeerInputError. */
export function parseResult(value: unknown): { ok: boolean; error: string } {
  if (!isRecord(value) || typeof value['ok'] !== 'boolean' || typeof value['error'] !== 'string') {
    throw new PeerInputError('result', 'a result without ok and error');
  }
  return { ok: value['ok'], error: value['error'] };
}

/** The checkpoints a frame carries, at most `countMax` (each is checked where it is used, stateHashes.ts). */
export function parseCheckpoints(value: unknown, countMax: number): unknown[] {
  if (!Array.isArray(value)) throw new PeerInputError('checkpoints', 'the checkpoints are not a list');
  if (value.length > countMax) throw new PeerInputError('checkpoints', `${value.length} checkpoints, more than ${countMax}`);
  return value;
}
