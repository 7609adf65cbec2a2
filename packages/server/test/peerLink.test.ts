/**
 * The TCP peer link between transports on loopback, each behind a real peer listener that answers
 * both links on one port: messages arrive in order, another cluster or epoch is refused, a
 * snapshot streams on its own connection, a peer back at a new address is redialled, and hostile
 * bytes on the link are dropped and counted while the listener goes on serving. Rolling upgrade:
 * a member that speaks only gRPC (an earlier release: a bare gRPC server) is reached over gRPC,
 * and a member dialling gRPC is answered on the same port.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '@holdfast/protocol';
import { type Message, newMessage } from '@holdfast/raft';
import { Packr } from 'msgpackr';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../src/localCluster.js';
import { encodeFrame, encodeValueFrame, FrameKind, LINK_GREETING, LINK_GREETING_REPLY } from '../src/peerLink/frames.js';
import { PeerListener } from '../src/peerLink/listener.js';
import { Transport, type TransportHandlers } from '../src/transport.js';
import type { PeerTransportKind } from '../src/config.js';
import { loadTls, ReloadableTls, serverCredentials, type TlsMaterial } from '../src/tls.js';
import { tempDir } from './helpers.js';
import { transportOptions } from './peerHelpers.js';

const logger = pino({ level: 'silent' });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const packr = new Packr({ useRecords: false });

function heartbeat(from: number, to: number, commit: number): Message {
  return newMessage({ type: 'heartbeat', from, to, term: 3, commit });
}

type Recording = TransportHandlers & { delivered: Message[]; rejects: string[]; heard: [number, number][]; snapshots: boolean[]; restored: number[] };

function recording(): Recording {
  const delivered: Message[] = [];
  const rejects: string[] = [];
  const heard: [number, number][] = [];
  const snapshots: boolean[] = [];
  const restored: number[] = [];
  return {
    delivered,
    rejects,
    heard,
    snapshots,
    restored,
    deliver: (messages) => {
      delivered.push(...messages);
      return true;
    },
    reportUnreachable: () => {},
    reportSnapshot: (_, ok) => snapshots.push(ok),
    readSnapshot: async function* () {
      for (let i = 0; i < 5; i += 1) yield new Uint8Array(100_000).fill(i);
    },
    receiveSnapshot: async (_, chunks) => {
      for await (const chunk of chunks) restored.push(chunk.byteLength);
    },
    heardApplyVersion: (from, version) => heard.push([from, version]),
    rejected: (reason) => rejects.push(reason),
  };
}

const fixturePath = (name: string): string => join(import.meta.dirname, 'fixtures', 'tls', name);
const fixture = (name: string): Buffer => readFileSync(fixturePath(name));
const tlsOf = (cert: string, key: string): TlsMaterial => ({ ca: fixture('ca.pem'), cert: fixture(cert), key: fixture(key), clientAuth: false });

interface Options {
  readonly tls?: TlsMaterial;
  readonly clusterId?: string;
  readonly peerTransport?: PeerTransportKind;
  readonly addressOf?: () => string | undefined;
  readonly snapshotStallMs?: number;
}

function transport(selfId: number, handlers: TransportHandlers, options: Options = {}): Transport {
  const { tls, ...rest } = options;
  return new Transport(transportOptions({ selfId, handlers, ...rest, ...(tls === undefined ? {} : { tls, requireMemberCertificates: true }) }));
}

/** A member's receiving side: its transport behind a peer listener (both links), or a bare gRPC server (an earlier release). */
async function listening(
  id: number,
  options: { port?: number; grpcOnly?: boolean; tls?: TlsMaterial; snapshotStallMs?: number; receiveSnapshot?: TransportHandlers['receiveSnapshot'] } = {},
) {
  let listener: PeerListener | undefined;
  const received = recording();
  if (options.receiveSnapshot !== undefined) received.receiveSnapshot = options.receiveSnapshot;
  const inbound = transport(id, received, {
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    ...(options.snapshotStallMs === undefined ? {} : { snapshotStallMs: options.snapshotStallMs }),
  });
  const server = new grpc.Server();
  server.addService(loadProtos().raft, inbound.serviceImplementation());
  let port: number;
  let stopListener = (): void => {};
  if (options.grpcOnly === true) {
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${options.port ?? 0}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
  } else {
    listener = new PeerListener({ grpcServer: server, grpcCredentials: serverCredentials(options.tls, { requireClientCert: true }), tls: options.tls, inbound: inbound.linkInbound(), logger });
    port = await listener.listen(`127.0.0.1:${options.port ?? 0}`);
    stopListener = () => listener?.close();
  }
  return {
    received,
    listener,
    address: `127.0.0.1:${port}`,
    stop: () => {
      stopListener();
      inbound.close();
      server.forceShutdown();
    },
  };
}

/** A snapshot message from member 1 to member 2 (its state streams apart: readSnapshot). */
function snapshotFrom1To2(): Message {
  return newMessage({
    type: 'snapshot',
    from: 1,
    to: 2,
    term: 3,
    snapshot: { meta: { index: 10, term: 3, confState: { voters: [1, 2], learners: [] } }, data: new Uint8Array() },
  });
}

async function until(condition: () => boolean, step: () => void = () => {}): Promise<void> {
  for (let i = 0; !condition() && i < 400; i += 1) {
    step();
    await sleep(25);
  }
}

describe('the TCP peer link', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const step of cleanup.splice(0).reverse()) step();
  });

  it('times round trips from batches to their acks, with probes that deliver nothing', async () => {
    const member2 = await listening(2);
    cleanup.push(member2.stop);
    const samples: [number, number][] = [];
    const sender = transport(1, { ...recording(), roundTripMeasured: (to, rttMs) => samples.push([to, rttMs]) }, { addressOf: () => member2.address });
    cleanup.push(() => sender.close());
    // The first probe dials; the ones after it go on the link.
    await until(() => samples.length >= 2, () => sender.probe([2]));
    expect(samples.length).toBeGreaterThanOrEqual(2);
    expect(samples.every(([to, rttMs]) => to === 2 && rttMs >= 0)).toBe(true);
    expect(member2.received.delivered).toEqual([]);
    expect(member2.received.rejects).toEqual([]);
  });

  it('delivers messages in order, says the apply version once, and refuses another cluster and another epoch', async () => {
    const member2 = await listening(2);
    cleanup.push(member2.stop);
    const sender = transport(1, recording(), { addressOf: () => member2.address });
    const otherCluster = transport(3, recording(), { clusterId: 'other', addressOf: () => member2.address });
    const otherEpoch = transport(4, recording(), { clusterId: 'c@2', addressOf: () => member2.address });
    cleanup.push(() => sender.close(), () => otherCluster.close(), () => otherEpoch.close());
    for (let i = 1; i <= 300; i += 1) sender.send([heartbeat(1, 2, i)]);
    await until(() => member2.received.delivered.length >= 300);
    await until(() => member2.received.rejects.length >= 2, () => {
      otherCluster.send([heartbeat(3, 2, 999)]);
      otherEpoch.send([heartbeat(4, 2, 999)]);
    });
    expect(member2.received.delivered.map((m) => m.commit)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(member2.received.heard).toEqual([[1, 2]]);
    expect(member2.received.rejects.length).toBeGreaterThanOrEqual(2);
    expect(new Set(member2.received.rejects)).toEqual(new Set(['refused']));
  });

  it('streams a snapshot on its own connection, chunk by chunk, then delivers its message', async () => {
    const member2 = await listening(2);
    cleanup.push(member2.stop);
    const sent = recording();
    const sender = transport(1, sent, { addressOf: () => member2.address });
    cleanup.push(() => sender.close());
    const snapshot = snapshotFrom1To2();
    sender.send([snapshot]);
    await until(() => sent.snapshots.length > 0);
    expect(sent.snapshots).toEqual([true]);
    expect(member2.received.restored).toEqual([100_000, 100_000, 100_000, 100_000, 100_000]);
    expect(member2.received.delivered.map((m) => m.type)).toEqual(['snapshot']);
  });

  it('gives up a snapshot its peer stopped taking, reports it failed, and sends the next one', async () => {
    for (const peerTransport of ['tcp', 'grpc'] as const) {
      let restores = 0;
      const member2 = await listening(2, {
        // The first restore never takes a chunk (a peer that stopped reading); the next ones do.
        receiveSnapshot: async (_, chunks) => {
          restores += 1;
          if (restores === 1) return new Promise<void>(() => {});
          for await (const _chunk of chunks);
        },
      });
      cleanup.push(member2.stop);
      const sent = recording();
      const sender = transport(1, sent, { addressOf: () => member2.address, snapshotStallMs: 500, peerTransport });
      cleanup.push(() => sender.close());
      const snapshot = snapshotFrom1To2();
      sender.send([snapshot]);
      await until(() => sent.snapshots.length > 0);
      expect(sent.snapshots, peerTransport).toEqual([false]);
      sender.send([snapshot]);
      await until(() => sent.snapshots.length > 1);
      expect(sent.snapshots, peerTransport).toEqual([false, true]);
    }
  });

  it('cuts a snapshot connection whose sender stops before the end', async () => {
    const failures: string[] = [];
    const member2 = await listening(2, {
      snapshotStallMs: 300,
      receiveSnapshot: async (_, chunks) => {
        try {
          for await (const _chunk of chunks);
        } catch (error) {
          failures.push((error as Error).message);
          throw error;
        }
      },
    });
    cleanup.push(member2.stop);
    const hello = encodeValueFrame(FrameKind.hello, { version: 1, clusterId: 'c', from: 1, to: 2, purpose: 'snapshot', applyVersion: 2 });
    const snapshot = snapshotFrom1To2();
    // The message and one chunk, then nothing, with the connection kept open: the listener cuts it.
    const [host, port] = member2.address.split(':');
    const socket = net.connect({ host, port: Number(port) });
    socket.on('error', () => {});
    socket.resume(); // reads (and drops) what the listener sends, so its close is seen
    cleanup.push(() => socket.destroy());
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const closedByListener = new Promise<boolean>((resolve) => {
      socket.once('close', () => resolve(true));
      setTimeout(() => resolve(false), 10_000);
    });
    socket.write(LINK_GREETING);
    for (const frame of [hello, encodeFrame(FrameKind.snapshotMessage, packr.pack([snapshot])), encodeFrame(FrameKind.snapshotChunk, new Uint8Array(10))]) socket.write(frame);
    expect(await closedByListener).toBe(true);
    await until(() => failures.length > 0);
    expect(failures).toEqual(['the snapshot link closed before its end']);
  });

  it('redials a peer back at a new address and reports it unreachable, then reachable', async () => {
    const before = await listening(2);
    let address = before.address;
    const sent = recording();
    const reachable: boolean[] = [];
    const sender = transport(1, { ...sent, peerReachable: (_, now) => reachable.push(now) }, { addressOf: () => address });
    cleanup.push(() => sender.close());
    let commit = 0;
    await until(() => before.received.delivered.length > 0, () => sender.send([heartbeat(1, 2, ++commit)]));
    before.stop();
    const after = await listening(2, { port: await freePort() });
    cleanup.push(after.stop);
    address = after.address;
    await until(() => after.received.delivered.length > 0 && reachable.at(-1) === true, () => sender.send([heartbeat(1, 2, ++commit)]));
    expect(after.received.delivered.length).toBeGreaterThan(0);
    expect(reachable[0]).toBe(true);
    expect(reachable).toContain(false);
    expect(reachable.at(-1)).toBe(true);
  });

  it('reaches a member that speaks only gRPC over gRPC, and answers a member that dials gRPC', async () => {
    const earlier = await listening(2, { grpcOnly: true });
    const current = await listening(3);
    cleanup.push(earlier.stop, current.stop);
    const tcpSender = transport(1, recording(), { addressOf: () => earlier.address });
    const grpcSender = transport(4, recording(), { peerTransport: 'grpc', addressOf: () => current.address });
    cleanup.push(() => tcpSender.close(), () => grpcSender.close());
    let commit = 0;
    await until(
      () => earlier.received.delivered.length >= 3 && current.received.delivered.length >= 3,
      () => {
        commit += 1;
        tcpSender.send([heartbeat(1, 2, commit)]);
        grpcSender.send([heartbeat(4, 3, commit)]);
      },
    );
    // The first messages waited for the link and were handed to gRPC, not dropped.
    expect(earlier.received.delivered[0]?.commit).toBe(1);
    expect(earlier.received.delivered.length).toBeGreaterThanOrEqual(3);
    expect(current.received.delivered.length).toBeGreaterThanOrEqual(3);
  });

  it('runs over TLS with member certificates, and refuses a client certificate and a member the certificate does not name', async () => {
    const member2 = await listening(2, { tls: tlsOf('node.pem', 'node-key.pem') });
    cleanup.push(member2.stop);
    const member = transport(1, recording(), { tls: tlsOf('node.pem', 'node-key.pem'), addressOf: () => member2.address });
    const client = transport(1, recording(), { tls: tlsOf('client.pem', 'client-key.pem'), addressOf: () => member2.address });
    // node.pem names members 1 to 8: a sender claiming 9 is refused.
    const unnamed = transport(9, recording(), { tls: tlsOf('node.pem', 'node-key.pem'), addressOf: () => member2.address });
    cleanup.push(() => member.close(), () => client.close(), () => unnamed.close());
    let commit = 0;
    await until(
      () => member2.received.delivered.length > 0 && member2.received.rejects.length >= 2,
      () => {
        commit += 1;
        member.send([heartbeat(1, 2, commit)]);
        client.send([heartbeat(1, 2, commit)]);
        unnamed.send([heartbeat(9, 2, commit)]);
      },
    );
    expect(member2.received.delivered.every((m) => m.from === 1)).toBe(true);
    expect(member2.received.delivered.length).toBeGreaterThan(0);
    expect(new Set(member2.received.rejects)).toEqual(new Set(['refused']));
  });

  it('takes reloaded certificates for new connections, on both ends', async () => {
    const dir = tempDir('link-reload');
    cleanup.push(() => dir.remove());
    const reloadableIn = (name: string, cert: string, key: string): TlsMaterial => {
      const files = { tlsCertFile: join(dir.path, `${name}.pem`), tlsKeyFile: join(dir.path, `${name}-key.pem`), tlsCaFile: join(dir.path, 'ca.pem'), tlsClientAuth: false };
      copyFileSync(fixturePath('ca.pem'), files.tlsCaFile);
      copyFileSync(fixturePath(cert), files.tlsCertFile);
      copyFileSync(fixturePath(key), files.tlsKeyFile);
      const material = loadTls(files) as TlsMaterial;
      return { ...material, reloadable: new ReloadableTls(material) };
    };
    const swapTo = (material: TlsMaterial, name: string): void => {
      copyFileSync(fixturePath('node.pem'), join(dir.path, `${name}.pem`));
      copyFileSync(fixturePath('node-key.pem'), join(dir.path, `${name}-key.pem`));
      expect(material.reloadable?.reload()).toBe(true);
    };
    // Both start with a client's certificate: member 2 cannot serve the link, member 1 cannot speak Raft.
    const listenerTls = reloadableIn('listener', 'client.pem', 'client-key.pem');
    const dialerTls = reloadableIn('dialer', 'client.pem', 'client-key.pem');
    const member2 = await listening(2, { tls: listenerTls });
    cleanup.push(member2.stop);
    const sender = transport(1, recording(), { tls: dialerTls, addressOf: () => member2.address });
    cleanup.push(() => sender.close());
    let commit = 0;
    const beat = (): void => sender.send([heartbeat(1, 2, ++commit)]);
    for (let i = 0; i < 20; i += 1) {
      beat();
      await sleep(25);
    }
    expect(member2.received.delivered).toEqual([]);
    swapTo(listenerTls, 'listener');
    member2.listener?.setSecureContext(listenerTls.reloadable?.material as TlsMaterial);
    await until(() => member2.received.rejects.includes('refused'), beat);
    expect(member2.received.rejects).toContain('refused');
    expect(member2.received.delivered).toEqual([]);
    swapTo(dialerTls, 'dialer');
    await until(() => member2.received.delivered.length > 0, beat);
    expect(member2.received.delivered.length).toBeGreaterThan(0);
  });

  it('gives up a peer that accepts and never answers the greeting, or answers it and never acknowledges, and dials again', async () => {
    for (const behaviour of ['silent', 'no-acks'] as const) {
      let connections = 0;
      const server = net.createServer((socket) => {
        connections += 1;
        socket.on('error', () => {});
        if (behaviour === 'no-acks') socket.once('data', () => socket.write(LINK_GREETING_REPLY));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
      const sender = transport(1, recording(), { addressOf: () => address });
      cleanup.push(() => sender.close(), () => server.close());
      let commit = 0;
      await until(() => connections >= 2, () => sender.send([heartbeat(1, 2, ++commit)]));
      expect(connections).toBeGreaterThanOrEqual(2);
    }
  });

  it('drops and counts hostile frames, closes the connection that sent them, and goes on serving', async () => {
    const member2 = await listening(2);
    cleanup.push(member2.stop);
    const hello = (from: number) => encodeValueFrame(FrameKind.hello, { version: 1, clusterId: 'c', from, to: 2, purpose: 'raft', applyVersion: 2 });
    const oversized = Buffer.alloc(5);
    oversized.writeUInt32BE(0x7fff_ffff, 0);
    oversized.writeUInt8(FrameKind.batch, 4);
    const attacks: Buffer[][] = [
      [encodeValueFrame(FrameKind.batch, [])], // no hello first
      [encodeValueFrame(FrameKind.hello, { version: 'x' })], // malformed hello
      [hello(1), oversized], // a frame far over the limit
      [hello(1), Buffer.from([0, 0, 0, 1, 77])], // an unknown kind
      [hello(1), encodeFrame(FrameKind.batch, Uint8Array.from([0x92, 0x01]))], // a batch that does not decode
      [hello(1), encodeFrame(FrameKind.batch, packr.pack([null, { type: 'heartbeat' }]))], // messages that do not validate
      [hello(1), encodeFrame(FrameKind.batch, packr.pack([heartbeat(5, 2, 1)]))], // a message not from the hello's sender
      [hello(1), encodeFrame(FrameKind.snapshotChunk, new Uint8Array(3))], // a snapshot frame on a raft link
      [hello(2)], // a sender that is this member
    ];
    for (const frames of attacks) await sendRaw(member2.address, frames);
    await until(() => member2.received.rejects.length >= attacks.length);
    expect(member2.received.delivered).toEqual([]);
    expect(member2.received.rejects).toEqual(expect.arrayContaining(['hello', 'frame-too-large', 'frame-framing', 'wrong-peer', 'refused']));
    // A well-behaved member is served as before.
    const sender = transport(1, recording(), { addressOf: () => member2.address });
    cleanup.push(() => sender.close());
    let commit = 0;
    await until(() => member2.received.delivered.length > 0, () => sender.send([heartbeat(1, 2, ++commit)]));
    expect(member2.received.delivered.length).toBeGreaterThan(0);
  });
});

/** Connects as a link, writes `frames` after the greeting, and waits for the listener to close or 1 s. */
async function sendRaw(address: string, frames: readonly Buffer[]): Promise<void> {
  const [host, port] = address.split(':');
  const socket = net.connect({ host, port: Number(port) });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(LINK_GREETING);
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const replied = new Promise<Buffer>((resolve) => socket.once('data', resolve));
  for (const frame of frames) socket.write(frame);
  expect((await replied).subarray(0, LINK_GREETING_REPLY.byteLength)).toEqual(LINK_GREETING_REPLY);
  await Promise.race([closed, sleep(1000)]);
  socket.destroy();
}
