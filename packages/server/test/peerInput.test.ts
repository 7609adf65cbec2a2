/**
 * The peer port's input: every batch and snapshot call is decoded and checked before anything
 * reaches Raft. Random bytes, mutated valid encodings and hostile values either decode to valid
 * messages or are refused with PeerInputError; nothing else is thrown (fast-check, seeded). Over
 * a real gRPC stream, hostile batches are dropped and counted and the transport keeps delivering.
 */
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '@holdfast/protocol';
import { type Message, newMessage, validateMessage } from '@holdfast/raft';
import fc from 'fast-check';
import { Packr } from 'msgpackr';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  announcedLength,
  type BatchLimits,
  decodeBatch,
  decodeSnapshotMessage,
  encodeBatches,
  encodeMessages,
  PeerInputError,
  PeerRejectLog,
  REJECT_LOG_INTERVAL_MS,
} from '../src/peerInput.js';
import { Transport, type TransportHandlers } from '../src/transport.js';
import { transportOptions } from './peerHelpers.js';

const LIMITS: BatchLimits = { entriesBytesMax: 64 * 1024, snapshotDataBytesMax: 1024, batchMessagesMax: 64 };
const STREAM = { from: 1, to: 2 } as const;
const packr = new Packr({ useRecords: false });

function append(commit: number): Message {
  return newMessage({
    type: 'append',
    from: 1,
    to: 2,
    term: 3,
    index: 4,
    logTerm: 2,
    commit,
    entries: [
      { type: 'normal', term: 3, index: 5, data: new Uint8Array([1, 2, 3]) },
      { type: 'confChange', term: 3, index: 6, change: { type: 'addLearner', nodeId: 4, context: new Uint8Array([9]) } },
    ],
  });
}

function snapshotMessage(): Message {
  return newMessage({
    type: 'snapshot',
    from: 1,
    to: 2,
    term: 3,
    snapshot: { meta: { index: 10, term: 3, confState: { voters: [1, 2, 3], learners: [4] } }, data: new Uint8Array() },
  });
}

/** Valid messages of several shapes, all from 1 to 2. */
const validMessage: fc.Arbitrary<Message> = fc.oneof(
  fc.nat({ max: 100 }).map(append),
  fc.constant(snapshotMessage()),
  fc
    .record({
      type: fc.constantFrom('heartbeat', 'appendResponse', 'vote', 'preVoteResponse', 'readIndex', 'timeoutNow' as const),
      term: fc.nat({ max: 9 }),
      commit: fc.nat({ max: 9 }),
      context: fc.nat(),
      reject: fc.boolean(),
    })
    .map((fields) => newMessage({ ...fields, from: 1, to: 2 })),
);

/** Values that must never crash a decoder or a validator where a field is expected. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, undefined, Number.NaN, Number.POSITIVE_INFINITY, -1, 0.5, 2 ** 53, 2 ** 64, true, '', '1'),
  fc.string({ maxLength: 16 }),
  fc.uint8Array({ maxLength: 16 }),
  fc.array(fc.oneof(fc.constant(null), fc.integer()), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.oneof(fc.constant(null), fc.integer()), { maxKeys: 3 }),
  fc.constant(Array.from({ length: 1000 }, () => null)),
);

/** A valid message with one field, at any depth, replaced by a hostile value. */
const mutatedMessage: fc.Arbitrary<unknown> = fc
  .tuple(validMessage, fc.nat(), hostileValue)
  .map(([message, pick, value]) => replaceAt(structuredClone(message) as unknown, pick, value));

/** Replaces the `pick`-th node (depth first) of a plain value's tree by `value`. */
function replaceAt(root: unknown, pick: number, value: unknown): unknown {
  const slots: { parent: Record<string, unknown>; key: string }[] = [];
  const walk = (node: unknown): void => {
    if (typeof node !== 'object' || node === null || node instanceof Uint8Array) return;
    for (const key of Object.keys(node)) {
      slots.push({ parent: node as Record<string, unknown>, key });
      walk((node as Record<string, unknown>)[key]);
    }
  };
  walk(root);
  if (slots.length === 0) return value;
  const slot = slots[pick % slots.length]!;
  slot.parent[slot.key] = value;
  return root;
}

/** Flips, inserts and deletes bytes of an encoding. */
const byteEdit = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 8 }) }),
);

type ByteEdit = typeof byteEdit extends fc.Arbitrary<infer T> ? T : never;

function applyEdits(bytes: Uint8Array, edits: readonly ByteEdit[]): Uint8Array {
  let out = Uint8Array.from(bytes);
  for (const edit of edits) {
    if (out.byteLength === 0) break;
    const at = edit.at % out.byteLength;
    if (edit.kind === 'flip') out[at] = out[at]! ^ edit.bits;
    else if (edit.kind === 'insert') out = Uint8Array.from([...out.subarray(0, at), ...edit.bytes, ...out.subarray(at)]);
    else out = Uint8Array.from([...out.subarray(0, at), ...out.subarray(at + edit.count)]);
  }
  return out;
}

/** decodeBatch's contract: valid messages out, or a PeerInputError; nothing else. */
function checkDecode(bytes: Uint8Array): void {
  let decoded: ReturnType<typeof decodeBatch>;
  try {
    decoded = decodeBatch(bytes, STREAM, LIMITS);
  } catch (error) {
    expect(error).toBeInstanceOf(PeerInputError);
    return;
  }
  for (const message of decoded.messages) {
    expect(validateMessage(message, LIMITS)).toBeUndefined();
    expect([message.from, message.to]).toEqual([1, 2]);
    expect(message.type).not.toBe('snapshot'); // only a SendSnapshot call carries one
  }
  for (const rejected of decoded.rejected) expect(rejected).toBeInstanceOf(PeerInputError);
}

function checkSnapshotDecode(bytes: Uint8Array): void {
  try {
    const message = decodeSnapshotMessage(bytes, STREAM, LIMITS);
    expect(message.type).toBe('snapshot');
    expect(validateMessage(message, LIMITS)).toBeUndefined();
  } catch (error) {
    expect(error).toBeInstanceOf(PeerInputError);
  }
}

const RUNS = { seed: 1203, numRuns: 300 };

describe('decodeBatch', () => {
  it('drops a null (the message that used to stop a member) and keeps the valid messages beside it', () => {
    const bytes = packr.pack([null, append(5), { ...append(6), from: 3 }, { ...append(7), term: 2 ** 53 }, snapshotMessage()]);
    const { messages, rejected } = decodeBatch(bytes, STREAM, LIMITS);
    expect(messages.map((m) => m.commit)).toEqual([5]);
    expect(rejected.map((e) => e.reason)).toEqual(['shape', 'wrong-peer', 'range', 'snapshot-framing']);
  });

  it('refuses a batch that is no list, does not decode, or announces more messages than the limit', () => {
    const reasonOf = (bytes: Uint8Array): string => {
      try {
        decodeBatch(bytes, STREAM, LIMITS);
      } catch (error) {
        return (error as PeerInputError).reason;
      }
      return 'accepted';
    };
    expect(reasonOf(packr.pack({ messages: [] }))).toBe('not-a-list');
    expect(reasonOf(new Uint8Array())).toBe('not-a-list');
    expect(reasonOf(Uint8Array.of(0x91))).toBe('undecodable'); // cut short
    expect(reasonOf(Uint8Array.of(0x91, 0xd9, 0x05, 0x41))).toBe('undecodable'); // a string cut short
    expect(reasonOf(new Uint8Array(1_000_000).fill(0x91))).toBe('undecodable'); // nested past the stack
    // An array32 header claiming 4 billion entries is refused before anything is decoded.
    expect(announcedLength(Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff))).toBe(2 ** 32 - 1);
    expect(reasonOf(Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff))).toBe('too-many');
    expect(reasonOf(packr.pack(Array.from({ length: LIMITS.batchMessagesMax + 1 }, () => append(1))))).toBe('too-many');
    expect(reasonOf(encodeMessages([append(1)]))).toBe('accepted');
  });

  it('random bytes decode to valid messages or are refused (fast-check)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 256 }), checkDecode), RUNS);
    // Bytes that start as a msgpack array reach the element decoder more often.
    fc.assert(
      fc.property(fc.integer({ min: 0x90, max: 0x9f }), fc.uint8Array({ maxLength: 256 }), (head, rest) =>
        checkDecode(Uint8Array.from([head, ...rest])),
      ),
      RUNS,
    );
  });

  it('valid encodings with bytes flipped, inserted or deleted decode to valid messages or are refused', () => {
    fc.assert(
      fc.property(fc.array(validMessage, { minLength: 1, maxLength: 4 }), fc.array(byteEdit, { minLength: 1, maxLength: 4 }), (messages, edits) =>
        checkDecode(applyEdits(encodeMessages(messages), edits)),
      ),
      RUNS,
    );
  });

  it('messages with any field replaced by a hostile value, at any depth, are refused one by one', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(validMessage, mutatedMessage, hostileValue), { maxLength: 6 }), (values) => {
        checkDecode(packr.pack(values));
      }),
      RUNS,
    );
  });

  it('the snapshot message of a snapshot call decodes or is refused, whatever the bytes', () => {
    expect(decodeSnapshotMessage(encodeMessages([snapshotMessage()]), STREAM, LIMITS).type).toBe('snapshot');
    expect(() => decodeSnapshotMessage(encodeMessages([append(1)]), STREAM, LIMITS)).toThrow(PeerInputError);
    expect(() => decodeSnapshotMessage(encodeMessages([snapshotMessage(), snapshotMessage()]), STREAM, LIMITS)).toThrow(PeerInputError);
    fc.assert(
      fc.property(fc.array(byteEdit, { maxLength: 4 }), mutatedMessage, (edits, mutated) => {
        checkSnapshotDecode(applyEdits(encodeMessages([snapshotMessage()]), edits));
        checkSnapshotDecode(packr.pack([mutated]));
      }),
      RUNS,
    );
  });
});

describe('encodeBatches', () => {
  /** An append carrying `bytes` of entry data. */
  const appendOf = (bytes: number, index: number): Message =>
    newMessage({ type: 'append', from: 1, to: 2, term: 3, index, logTerm: 3, commit: 0, entries: [{ type: 'normal', term: 3, index: index + 1, data: new Uint8Array(bytes).fill(index % 251) }] });

  it('gives every message once, in order, in bodies within the limit; a message alone over it is set apart (fast-check)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 3000 }), { maxLength: 40 }), fc.integer({ min: 200, max: 8000 }), (sizes, bodyBytesMax) => {
        const messages = sizes.map((bytes, i) => appendOf(bytes, i + 1));
        const { bodies, tooLarge } = encodeBatches(messages, bodyBytesMax);
        for (const body of bodies) expect(body.byteLength).toBeLessThanOrEqual(bodyBytesMax);
        const limits = { ...LIMITS, entriesBytesMax: 1 << 20, batchMessagesMax: 1000 };
        // As the listener gets them: Buffers off the socket.
        const delivered = bodies.flatMap((body) => decodeBatch(Buffer.from(body), STREAM, limits).messages);
        const setApart = new Set(tooLarge.map(({ message }) => message));
        const kept = messages.filter((message) => !setApart.has(message));
        expect(delivered).toEqual(decodeBatch(encodeMessages(kept), STREAM, limits).messages);
        for (const { message, bytes } of tooLarge) expect(bytes).toBe(encodeMessages([message]).byteLength - 1);
        // One body whenever the whole batch fits, as before.
        if (encodeMessages(messages).byteLength <= bodyBytesMax) expect(bodies).toHaveLength(1);
      }),
      { seed: 11, numRuns: 200 },
    );
  });

  it('writes the array header msgpack would for every count (fixarray, array 16, array 32)', () => {
    for (const count of [15, 16, 70_000]) {
      const messages = Array.from({ length: count }, (_, i) => appendOf(0, i + 1));
      const whole = Buffer.from(encodeMessages(messages));
      // One byte short of the whole: two bodies, the first holding all but the last message.
      const { bodies } = encodeBatches(messages, whole.byteLength - 1);
      expect(bodies.map((body) => announcedLength(body))).toEqual([count - 1, 1]);
      const first = Buffer.from(bodies[0] as Uint8Array);
      expect(first.equals(Buffer.from(encodeMessages(messages.slice(0, -1))))).toBe(true);
    }
  });
});

describe('PeerRejectLog', () => {
  it('counts every reject and logs one line per peer per interval, with the number dropped since', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    const counted: string[] = [];
    let nowMs = 0;
    const log = new PeerRejectLog(logger, (reason) => counted.push(reason), () => nowMs);
    const peer = { id: '1', address: 'ipv4:127.0.0.1:5' };
    for (let i = 0; i < 5; i += 1) log.reject(peer, new PeerInputError('shape', 'message is not an object'));
    log.reject({ id: '3', address: 'x' }, new PeerInputError('range', 'term'));
    nowMs += REJECT_LOG_INTERVAL_MS;
    log.reject(peer, new PeerInputError('type', 'unknown message type'));
    expect(counted).toEqual(['shape', 'shape', 'shape', 'shape', 'shape', 'range', 'type']);
    expect(lines.map((l) => [l['peer'], l['reason'], l['droppedSinceLastLine']])).toEqual([
      ['1', 'shape', 0],
      ['3', 'range', 0],
      ['1', 'type', 4],
    ]);
  });
});

describe('hostile input on a real peer stream', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const step of cleanup.splice(0)) step();
  });

  async function receiver(inboxFull = false): Promise<{ port: number; delivered: Message[]; rejected: string[] }> {
    const protos = loadProtos();
    const delivered: Message[] = [];
    const rejected: string[] = [];
    const handlers: TransportHandlers = {
      deliver: (messages) => {
        if (inboxFull) return false;
        delivered.push(...messages);
        return true;
      },
      reportUnreachable: () => {},
      reportSnapshot: () => {},
      readSnapshot: async function* () {},
      receiveSnapshot: async (_message, chunks) => {
        for await (const _ of chunks) {
          // drained
        }
      },
      rejected: (reason) => rejected.push(reason),
    };
    const transport = new Transport(transportOptions({ selfId: 2, handlers, protos, peerQueueMessagesMax: 64, messageBytesMax: 64 * 1024 }));
    const server = new grpc.Server();
    server.addService(protos.raft, transport.serviceImplementation());
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    cleanup.push(() => {
      transport.close();
      server.forceShutdown();
    });
    return { port, delivered, rejected };
  }

  async function until(done: () => boolean): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  it('drops hostile batches, counts them, and keeps delivering on the same and later streams', async () => {
    const { port, delivered, rejected } = await receiver();
    const client = new (loadProtos().RaftClient)(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    cleanup.push(() => client.close());
    const batch = (messages: Uint8Array) => ({ clusterId: 'c', from: 1, to: 2, messages, applyVersion: 2 });
    const stream = client.stream();
    stream.on('error', () => {});
    stream.write(batch(packr.pack([null])));
    stream.write(batch(packr.pack([{ ...append(1), entries: [null] }, 'x', { ...append(2), to: 3 }])));
    stream.write(batch(encodeMessages([append(10)])));
    await until(() => delivered.length >= 1);
    expect(delivered.map((m) => m.commit)).toEqual([10]);
    expect(rejected).toEqual(['shape', 'entries', 'shape', 'wrong-peer']);
    // Bad framing ends the stream (what follows on it is ignored); the sender reconnects and is heard again.
    stream.write(batch(Uint8Array.of(0xc1)));
    stream.write(batch(encodeMessages([append(99)])));
    await until(() => rejected.length >= 5);
    expect(rejected[4]).toBe('not-a-list');
    const again = client.stream();
    again.on('error', () => {});
    again.write(batch(encodeMessages([append(11)])));
    await until(() => delivered.length >= 2);
    expect(delivered.map((m) => m.commit)).toEqual([10, 11]);
    stream.end();
    again.end();
  });

  it('counts valid messages dropped because the inbox is full', async () => {
    const { port, delivered, rejected } = await receiver(true);
    const client = new (loadProtos().RaftClient)(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    cleanup.push(() => client.close());
    const stream = client.stream();
    stream.on('error', () => {});
    stream.write({ clusterId: 'c', from: 1, to: 2, messages: encodeMessages([append(1)]), applyVersion: 2 });
    await until(() => rejected.length >= 1);
    expect(rejected).toEqual(['inbox-full']);
    expect(delivered).toEqual([]);
    stream.end();
  });

  it('refuses a snapshot call whose first chunk is not a valid snapshot message', async () => {
    const { port, delivered, rejected } = await receiver();
    const client = new (loadProtos().RaftClient)(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    cleanup.push(() => client.close());
    const send = (message: Uint8Array, last = true): Promise<{ ok: boolean; error: string }> =>
      new Promise((resolve, reject) => {
        const call = client.sendSnapshot((error, ack) => (error ? reject(error) : resolve(ack as { ok: boolean; error: string })));
        call.write({ clusterId: 'c', from: 1, to: 2, message, data: new Uint8Array(), last: false });
        if (last) call.write({ clusterId: '', from: 0, to: 0, message: new Uint8Array(), data: new Uint8Array(), last: true });
        call.end();
      });
    expect((await send(packr.pack([null]))).ok).toBe(false);
    expect((await send(encodeMessages([append(1)]))).ok).toBe(false);
    expect((await send(encodeMessages([snapshotMessage()]), false)).ok).toBe(false); // ends before its last chunk
    expect(await send(encodeMessages([snapshotMessage()]))).toEqual({ ok: true, error: '' });
    expect(rejected).toEqual(['shape', 'snapshot-framing', 'snapshot-framing']);
    expect(delivered.map((m) => m.type)).toEqual(['snapshot']);
  });
});
