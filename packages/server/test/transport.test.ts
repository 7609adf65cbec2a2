/**
 * The peer transport: messages reach the peer in order over one stream, and a peer that cannot
 * be reached costs a bounded queue and reportUnreachable, never unbounded memory.
 */
import * as grpc from '@grpc/grpc-js';
import { type Message, newMessage } from '@holdfast/raft';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../src/localCluster.js';
import { loadProtos } from '@holdfast/protocol';
import { decodeBatch } from '../src/peerInput.js';
import { encodeMessages, Transport, type TransportHandlers } from '../src/transport.js';

const logger = pino({ level: 'silent' });

function heartbeat(from: number, to: number, commit: number): Message {
  return newMessage({ type: 'heartbeat', from, to, term: 3, commit });
}

function recordingHandlers(): TransportHandlers & { delivered: Message[]; unreachable: number[]; heard: [number, number][] } {
  const delivered: Message[] = [];
  const unreachable: number[] = [];
  const heard: [number, number][] = [];
  return {
    delivered,
    unreachable,
    heard,
    heardApplyVersion: (from, version) => heard.push([from, version]),
    deliver: (messages) => {
      delivered.push(...messages);
      return true;
    },
    reportUnreachable: (id) => unreachable.push(id),
    reportSnapshot: () => {},
    readSnapshot: async function* () {},
    receiveSnapshot: async () => {},
  };
}

describe('peer transport', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const step of cleanup.splice(0)) step();
  });

  it('round-trips messages through msgpack, entries included', () => {
    const message: Message = {
      ...heartbeat(1, 2, 5),
      type: 'append',
      index: 5,
      entries: [{ type: 'normal', term: 3, index: 6, data: new Uint8Array([1, 2, 3]) }],
    };
    const decoded = decodeBatch(encodeMessages([message]), { from: 1, to: 2 }, { entriesBytesMax: 1024, snapshotDataBytesMax: 0, batchMessagesMax: 1 }).messages;
    const entry = decoded[0]?.entries[0];
    expect(entry).toMatchObject({ type: 'normal', term: 3, index: 6 });
    expect(entry?.type === 'normal' ? Buffer.from(entry.data) : undefined).toEqual(Buffer.from([1, 2, 3]));
  });

  it('delivers messages to the peer in order and refuses another cluster', async () => {
    const protos = loadProtos();
    const receiver = recordingHandlers();
    const inbound = new Transport({
      selfId: 2,
      clusterId: 'c',
      protos,
      dialCredentials: grpc.credentials.createInsecure(),
      logger,
      peerQueueMessagesMax: 1000,
      messageBytesMax: 1024 * 1024,
      applyVersion: 2,
      addressOf: () => undefined,
      handlers: receiver,
    });
    const server = new grpc.Server();
    server.addService(protos.raft, inbound.serviceImplementation());
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    const sender = recordingHandlers();
    const outbound = new Transport({
      selfId: 1,
      clusterId: 'c',
      protos,
      dialCredentials: grpc.credentials.createInsecure(),
      logger,
      peerQueueMessagesMax: 1000,
      messageBytesMax: 1024 * 1024,
      applyVersion: 2,
      addressOf: () => `127.0.0.1:${port}`,
      handlers: sender,
    });
    const stranger = new Transport({
      selfId: 3,
      clusterId: 'other',
      protos,
      dialCredentials: grpc.credentials.createInsecure(),
      logger,
      peerQueueMessagesMax: 1000,
      messageBytesMax: 1024 * 1024,
      applyVersion: 2,
      addressOf: () => `127.0.0.1:${port}`,
      handlers: recordingHandlers(),
    });
    cleanup.push(() => {
      outbound.close();
      stranger.close();
      inbound.close();
      server.forceShutdown();
    });
    for (let i = 1; i <= 300; i += 1) outbound.send([heartbeat(1, 2, i)]);
    stranger.send([heartbeat(3, 2, 999)]);
    const deadline = Date.now() + 10_000;
    while (receiver.delivered.length < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    expect(receiver.delivered.map((m) => m.commit)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    // Every batch carries the sender's apply version; the receiver hears of it once per stream.
    expect(receiver.heard).toEqual([[1, 2]]);
  });

  it('bounds the queue to an unreachable peer and reports it unreachable', async () => {
    const handlers = recordingHandlers();
    const port = await freePort();
    const transport = new Transport({
      selfId: 1,
      clusterId: 'c',
      protos: loadProtos(),
      dialCredentials: grpc.credentials.createInsecure(),
      logger,
      peerQueueMessagesMax: 16,
      messageBytesMax: 1024 * 1024,
      applyVersion: 2,
      addressOf: () => `127.0.0.1:${port}`,
      handlers,
    });
    cleanup.push(() => transport.close());
    for (let i = 0; i < 1000; i += 1) transport.send([heartbeat(1, 2, i)]);
    expect(transport.queueDepth(2)).toBeLessThanOrEqual(16);
    expect(handlers.unreachable.length).toBeGreaterThan(0);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && transport.queueDepth(2) > 0) await new Promise((r) => setTimeout(r, 20));
    for (let i = 0; i < 1000; i += 1) transport.send([heartbeat(1, 2, i)]);
    expect(transport.queueDepth(2)).toBeLessThanOrEqual(16);
  });
});
