/**
 * A member that comes back at a new address under the same name (a restarted container or pod) is
 * reached there: after a failed connection the transport dials a new channel, which resolves the
 * name again, whatever the old channel's resolver cached. And a peer that stays unreachable is
 * logged once it has failed for a while, then rate-limited, then once when it answers again.
 */
import * as grpc from '@grpc/grpc-js';
import { type Message, newMessage } from '@holdfast/raft';
import type { Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProtos } from '@holdfast/protocol';
import { freePort } from '../src/localCluster.js';
import { Transport, type TransportHandlers, UNREACHABLE_WARN_AFTER_MS, UNREACHABLE_WARN_EVERY_MS, UnreachableLog } from '../src/transport.js';
import { type DeliveryRecording, deliveryRecording, transportOptions } from './peerHelpers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Where each test name points now; a channel learns it once, when it is created. */
const names = new Map<string, number>();

/**
 * A resolver that answers with the address its name had when the channel was created and never
 * looks again: the worst case of a cached DNS answer (grpc-js' own re-resolves at most every 30 s
 * by default).
 */
class PinnedResolver {
  private readonly port: number;
  private answered = false;
  constructor(
    target: { path: string },
    private readonly listener: (endpoints: unknown, attributes: object, serviceConfig: null, note: string) => boolean,
  ) {
    this.port = names.get(target.path) ?? 1;
  }
  updateResolution(): void {
    // Asked again after a failed connection: keeps the answer it gave.
    if (this.answered) return;
    this.answered = true;
    setImmediate(() => this.listener({ ok: true, value: [{ addresses: [{ host: '127.0.0.1', port: this.port }] }] }, {}, null, ''));
  }
  destroy(): void {}
  static getDefaultAuthority(target: { path: string }): string {
    return target.path;
  }
}
grpc.experimental.registerResolver('pinned-test', PinnedResolver as unknown as Parameters<typeof grpc.experimental.registerResolver>[1]);

function heartbeat(commit: number): Message {
  return newMessage({ type: 'heartbeat', from: 1, to: 2, term: 3, commit });
}

function transport(selfId: number, handlers: TransportHandlers, addressOf: () => string | undefined): Transport {
  // A gRPC resolver's name: this test is about the gRPC link (peerLink.test.ts has the TCP link's).
  return new Transport(transportOptions({ selfId, handlers, addressOf, peerTransport: 'grpc' }));
}

/** Member 2 listening on `port`: its server and transport. */
async function member2(port: number): Promise<{ received: DeliveryRecording; stop(): void }> {
  const received = deliveryRecording();
  const inbound = transport(2, received, () => undefined);
  const server = new grpc.Server();
  server.addService(loadProtos().raft, inbound.serviceImplementation());
  await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return {
    received,
    stop: () => {
      inbound.close();
      server.forceShutdown();
    },
  };
}

/** Sends heartbeats until `delivered` holds one, or 10 s pass. */
async function heartbeatUntilDelivered(sender: Transport, delivered: Message[]): Promise<void> {
  for (let i = 1; delivered.length === 0 && i < 200; i += 1) {
    sender.send([heartbeat(i)]);
    await sleep(50);
  }
}

describe('a peer back at a new address', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const step of cleanup.splice(0)) step();
  });

  it('is reached there through its name, and the link reports it unreachable, then reachable', async () => {
    const [first, second] = [await freePort(), await freePort()];
    names.set('peer2', first);
    const before = await member2(first);
    cleanup.push(() => before.stop());
    const sent = deliveryRecording();
    const sender = transport(1, sent, () => 'pinned-test:peer2');
    cleanup.push(() => sender.close());
    await heartbeatUntilDelivered(sender, before.received.delivered);
    expect(before.received.delivered.length).toBeGreaterThan(0);

    before.stop();
    names.set('peer2', second);
    const after = await member2(second);
    cleanup.push(() => after.stop());
    await heartbeatUntilDelivered(sender, after.received.delivered);
    expect(after.received.delivered.length).toBeGreaterThan(0);
    // Reachable, then not (the old address), then reachable again (the new one): the sender hears
    // the new member's acknowledgement a moment after the member received the heartbeat.
    for (let i = 0; sent.reachable.at(-1) !== true && i < 200; i += 1) {
      sender.send([heartbeat(1000 + i)]);
      await sleep(50);
    }
    expect(sent.reachable[0]).toBe(true);
    expect(sent.reachable).toContain(false);
    expect(sent.reachable.at(-1)).toBe(true);
  });
});

describe('the unreachable-peer log', () => {
  function recordingLogger(): { logger: Logger; lines: string[] } {
    const lines: string[] = [];
    const record = (level: string) => (fields: { downMs?: number }, message: string) => lines.push(`${level} ${message} ${fields.downMs}`);
    return { lines, logger: { warn: record('warn'), info: record('info'), debug: () => {} } as unknown as Logger };
  }

  it('warns once the peer has failed for a while, then at most every interval, then once when it answers', () => {
    const { logger: log, lines } = recordingLogger();
    const changes: boolean[] = [];
    const unreachable = new UnreachableLog(2, log, (reachable) => changes.push(reachable));
    unreachable.answered(0);
    for (let t = 1000; t <= 1000 + UNREACHABLE_WARN_AFTER_MS + UNREACHABLE_WARN_EVERY_MS + 500; t += 250) unreachable.failed('n2:7101', 'refused', t);
    unreachable.answered(40_000);
    unreachable.answered(40_100);
    expect(lines).toEqual([
      `warn peer unreachable ${UNREACHABLE_WARN_AFTER_MS}`,
      `warn peer unreachable ${UNREACHABLE_WARN_AFTER_MS + UNREACHABLE_WARN_EVERY_MS}`,
      'info peer reachable again 39000',
    ]);
    expect(changes).toEqual([true, false, true]);
  });

  it('says nothing about a failure shorter than the threshold', () => {
    const { logger: log, lines } = recordingLogger();
    const unreachable = new UnreachableLog(2, log, undefined);
    unreachable.failed('n2:7101', 'refused', 0);
    unreachable.failed('n2:7101', 'refused', UNREACHABLE_WARN_AFTER_MS - 1);
    unreachable.answered(UNREACHABLE_WARN_AFTER_MS);
    expect(lines).toEqual([]);
  });
});
