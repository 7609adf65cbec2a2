/**
 * What arrives on the peer port, checked before it reaches the driver: a batch's framing, then
 * every message in it (validateMessage of @holdfast/raft). Anyone who can reach the port can send
 * anything, so nothing here throws on bad input: it says what is wrong, and the transport drops,
 * counts (holdfast_peer_messages_rejected_total{reason}) and logs (rate-limited) and goes on.
 */
import { type Message, type MessageLimits, type NodeId, validateMessage } from '@holdfast/raft';
import { Packr } from 'msgpackr';
import type { Logger } from 'pino';

const packr = new Packr({ useRecords: false });

/**
 * Why peer input was dropped: a message's problem (MessageProblem of @holdfast/raft), or one of
 * the batch's: `undecodable` (not msgpack), `not-a-list` (not an array of messages), `too-many`
 * (more messages than the receiver's peerQueueMessagesMax), `wrong-peer` (a message not from the
 * batch's sender or not to this member), `refused` (another cluster, another member, a sender
 * that is no member id), `snapshot-framing` (a snapshot call not shaped as one, or a snapshot
 * message on a stream), `inbox-full` (valid, but this member's inbox is full: overload, not bad
 * input), `internal` (a fault of this member's own code while handling it; logged as an error).
 */
export type PeerRejectReason = string;

/** Peer input that cannot be used, with why (a metric label) and what (for the log). */
export class PeerInputError extends Error {
  override readonly name = 'PeerInputError';
  constructor(
    readonly reason: PeerRejectReason,
    detail: string,
  ) {
    super(detail);
  }
}

export interface BatchLimits extends MessageLimits {
  /** Messages in one batch: the receiver's peerQueueMessagesMax (a sender flushes its queue whole). */
  readonly batchMessagesMax: number;
}

export function encodeMessages(messages: readonly Message[]): Uint8Array {
  return packr.pack(messages);
}

/** The largest msgpack array header (0xdd and a 32-bit count). */
const ARRAY_HEADER_BYTES_MAX = 5;

/**
 * The messages as batch bodies (msgpack arrays, as `encodeMessages`) of at most `bodyBytesMax`
 * bytes each, in order. Almost always one body. Past the limit (many large appends at once: a
 * follower catching up) each message is encoded once and the bodies are filled in order, where
 * halving the batch until the halves fit encoded every message again at every level. A message
 * that alone is over the limit goes in `tooLarge` (with its size) and in no body.
 */
export function encodeBatches(
  messages: readonly Message[],
  bodyBytesMax: number,
): { bodies: Uint8Array[]; tooLarge: { message: Message; bytes: number }[] } {
  const whole = encodeMessages(messages);
  if (whole.byteLength <= bodyBytesMax) return { bodies: [whole], tooLarge: [] };
  const bodies: Uint8Array[] = [];
  const tooLarge: { message: Message; bytes: number }[] = [];
  let group: Uint8Array[] = [];
  let groupBytes = 0;
  const close = (): void => {
    if (group.length === 0) return;
    bodies.push(joinAsArray(group, groupBytes));
    group = [];
    groupBytes = 0;
  };
  for (const message of messages) {
    const encoded = packr.pack(message);
    if (ARRAY_HEADER_BYTES_MAX + encoded.byteLength > bodyBytesMax) {
      tooLarge.push({ message, bytes: encoded.byteLength });
      continue;
    }
    if (ARRAY_HEADER_BYTES_MAX + groupBytes + encoded.byteLength > bodyBytesMax) close();
    group.push(encoded);
    groupBytes += encoded.byteLength;
  }
  close();
  return { bodies, tooLarge };
}

/** A msgpack array of already encoded elements. */
function joinAsArray(elements: readonly Uint8Array[], elementBytes: number): Uint8Array {
  const count = elements.length;
  const headerBytes = count <= 15 ? 1 : count <= 0xffff ? 3 : 5;
  const body = new Uint8Array(headerBytes + elementBytes);
  const view = new DataView(body.buffer);
  if (headerBytes === 1) body[0] = 0x90 | count;
  else if (headerBytes === 3) {
    body[0] = 0xdc;
    view.setUint16(1, count);
  } else {
    body[0] = 0xdd;
    view.setUint32(1, count);
  }
  let offset = headerBytes;
  for (const element of elements) {
    body.set(element, offset);
    offset += element.byteLength;
  }
  return body;
}

/**
 * The number of elements a msgpack array announces in its header, read before decoding so that
 * a batch announcing millions of messages costs nothing; undefined if `bytes` is no array.
 */
export function announcedLength(bytes: Uint8Array): number | undefined {
  const first = bytes[0];
  if (first === undefined) return undefined;
  if (first >= 0x90 && first <= 0x9f) return first - 0x90;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (first === 0xdc && bytes.byteLength >= 3) return view.getUint16(1);
  if (first === 0xdd && bytes.byteLength >= 5) return view.getUint32(1);
  return undefined;
}

/**
 * Decodes a batch's messages. Throws PeerInputError when the batch as a whole is unusable
 * (undecodable, not a list, too many); otherwise returns the valid messages and, apart, why each
 * other one was dropped. `from` and `to` are the batch's sender and this member.
 */
export function decodeBatch(
  bytes: Uint8Array,
  expected: ExpectedPeer,
  limits: BatchLimits,
): { messages: Message[]; rejected: PeerInputError[] } {
  const announced = announcedLength(bytes);
  if (announced === undefined) throw new PeerInputError('not-a-list', 'the batch is not a msgpack array of messages');
  if (announced > limits.batchMessagesMax) {
    throw new PeerInputError('too-many', `the batch holds ${announced} messages, more than ${limits.batchMessagesMax}`);
  }
  let decoded: unknown;
  try {
    decoded = packr.unpack(bytes);
  } catch (error) {
    throw new PeerInputError('undecodable', `the batch does not decode: ${(error as Error).message}`);
  }
  if (!Array.isArray(decoded)) throw new PeerInputError('not-a-list', 'the batch is not an array of messages');
  const messages: Message[] = [];
  const rejected: PeerInputError[] = [];
  for (const value of decoded) {
    const problem = checkMessage(value, expected, limits);
    if (problem === undefined) messages.push(value as Message);
    else rejected.push(problem);
  }
  return { messages, rejected };
}

/** Whom a stream's messages must be from and to, and whether it may carry a snapshot message. */
export interface ExpectedPeer {
  readonly from: NodeId;
  readonly to: NodeId;
  /**
   * Only a SendSnapshot call carries a snapshot message, after the state it stands for: one on
   * a Raft stream would make the core install a snapshot the state machine does not hold.
   */
  readonly snapshotCall?: boolean;
}

/** Why one decoded message cannot be stepped, or undefined when it can. */
export function checkMessage(value: unknown, expected: ExpectedPeer, limits: MessageLimits): PeerInputError | undefined {
  const invalid = validateMessage(value, limits);
  if (invalid !== undefined) return new PeerInputError(invalid.problem, invalid.message);
  const message = value as Message;
  if (message.type === 'snapshot' && expected.snapshotCall !== true) {
    return new PeerInputError('snapshot-framing', 'a snapshot message arrived on a Raft stream; it travels only on SendSnapshot, after its state');
  }
  if (message.from !== expected.from || message.to !== expected.to) {
    return new PeerInputError(
      'wrong-peer',
      `message ${message.type} ${message.from} -> ${message.to} arrived on the stream ${expected.from} -> ${expected.to}`,
    );
  }
  return undefined;
}

/**
 * Decodes the message on a snapshot call's first chunk: exactly one valid snapshot message from
 * the call's sender to this member. Throws PeerInputError.
 */
export function decodeSnapshotMessage(bytes: Uint8Array, expected: { readonly from: NodeId; readonly to: NodeId }, limits: MessageLimits): Message {
  const { messages, rejected } = decodeBatch(bytes, { ...expected, snapshotCall: true }, { ...limits, batchMessagesMax: 1 });
  if (rejected[0] !== undefined) throw rejected[0];
  const message = messages[0];
  if (message?.type !== 'snapshot') throw new PeerInputError('snapshot-framing', 'the first chunk holds no snapshot message');
  return message;
}

/** How often at most one peer's rejects are logged; the rest are counted into the next line. */
export const REJECT_LOG_INTERVAL_MS = 10_000;

/**
 * Counts every reject (the metric) and logs at most one line per peer per REJECT_LOG_INTERVAL_MS,
 * saying how many were dropped since the last line: a peer sending garbage in a loop must not
 * fill the disk with logs.
 */
export class PeerRejectLog {
  private readonly lastLoggedMs = new Map<string, number>();
  private readonly unlogged = new Map<string, number>();

  constructor(
    private readonly logger: Logger,
    private readonly count: (reason: PeerRejectReason) => void,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** `peer` names the sender as it claims to be (a member id) and where it connects from. */
  reject(peer: { readonly id: string; readonly address: string }, error: PeerInputError): void {
    this.count(error.reason);
    const now = this.nowMs();
    const key = peer.id;
    const last = this.lastLoggedMs.get(key);
    if (last !== undefined && now - last < REJECT_LOG_INTERVAL_MS) {
      this.unlogged.set(key, (this.unlogged.get(key) ?? 0) + 1);
      return;
    }
    if (this.lastLoggedMs.size >= PEERS_LOGGED_MAX) {
      this.lastLoggedMs.clear();
      this.unlogged.clear();
    }
    this.lastLoggedMs.set(key, now);
    const droppedSinceLastLine = this.unlogged.get(key) ?? 0;
    this.unlogged.delete(key);
    const fields = { peer: peer.id, address: peer.address, reason: error.reason, problem: error.message, droppedSinceLastLine };
    if (error.reason === 'internal') this.logger.error(fields, 'peer input failed in this member; dropped');
    else this.logger.warn(fields, 'peer input refused and dropped');
  }
}

/** Peers whose last log time is kept; a hostile sender rotating ids cannot grow the map past it. */
const PEERS_LOGGED_MAX = 1024;
