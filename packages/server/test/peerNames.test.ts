/**
 * How the TCP peer link resolves a peer's host name (peerNames.ts), against a twin of the system
 * (hosts file, resolv.conf, DNS servers, the system resolver): the system resolver's order, a DNS
 * server that does not answer passed over without a lookup on the thread pool, at most one system
 * lookup per name however many dials ask, and a restarted peer's new address taken on the first
 * dial after its name answers, whatever earlier queries still wait for. Then the same through
 * dialLink and a whole link.
 */
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '@holdfast/protocol';
import { type Message, newMessage } from '@holdfast/raft';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { dialLink } from '../src/peerLink/dial.js';
import { LINK_GREETING, LINK_GREETING_REPLY } from '../src/peerLink/frames.js';
import { PeerListener } from '../src/peerLink/listener.js';
import { type NameSystem, PeerNameError, PeerNameResolver, parseResolvConf, searchCandidates } from '../src/peerLink/peerNames.js';
import { serverCredentials } from '../src/tls.js';
import { Transport, type TransportHandlers } from '../src/transport.js';
import { deliveryRecording, dialOptions, transportOptions } from './peerHelpers.js';

const logger = pino({ level: 'silent' });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A DNS server's answer for a name: addresses, an error code (as c-ares gives), or no answer ever (a dropped query). */
type Record = string[] | 'ENOTFOUND' | 'ENODATA' | 'ETIMEOUT' | 'ECONNREFUSED' | 'hang';

const AARDVARK = '10.89.0.1';
const UPSTREAM = '10.255.255.53';

/** The system as a container on a podman network sees it: aardvark-dns first, then the host's resolver. */
class TwinSystem implements NameSystem {
  hosts = '127.0.0.1 localhost\n::1 localhost ip6-localhost\n10.89.0.1 host.containers.internal\n';
  resolvConf = `search dns.podman\nnameserver ${AARDVARK}\nnameserver ${UPSTREAM}\n`;
  /** Per server, per `name/family`; a name a server has no record of is ENOTFOUND there. */
  readonly records = new Map<string, Map<string, Record>>();
  /** Every query asked, as `server name/family`, in order. */
  readonly queries: string[] = [];
  /** The system resolver's answers; a name absent here never answers. */
  readonly systemAnswers = new Map<string, string>();
  /** Every system lookup started, in order. */
  readonly systemLookups: string[] = [];
  private readonly pendingSystemLookups = new Map<string, (address: string) => void>();

  set(server: string, name: string, family: 4 | 6, record: Record): void {
    const zone = this.records.get(server) ?? new Map<string, Record>();
    zone.set(`${name}/${family}`, record);
    this.records.set(server, zone);
  }

  async readHosts(): Promise<string | undefined> {
    return this.hosts;
  }

  async readResolvConf(): Promise<string | undefined> {
    return this.resolvConf;
  }

  query(server: string, name: string, family: 4 | 6): Promise<string[]> {
    this.queries.push(`${server} ${name}/${family}`);
    const record = this.records.get(server)?.get(`${name}/${family}`) ?? 'ENOTFOUND';
    if (record === 'hang') return new Promise(() => {});
    if (typeof record === 'string') return Promise.reject(Object.assign(new Error(`query ${record} ${name}`), { code: record }));
    return Promise.resolve(record);
  }

  systemLookup(name: string): Promise<string> {
    this.systemLookups.push(name);
    const answer = this.systemAnswers.get(name);
    if (answer !== undefined) return Promise.resolve(answer);
    return new Promise((resolve) => this.pendingSystemLookups.set(name, resolve));
  }

  /** The hung system lookup of `name` returns at last. */
  finishSystemLookup(name: string, address: string): void {
    this.pendingSystemLookups.get(name)?.(address);
    this.pendingSystemLookups.delete(name);
  }
}

/** Long enough for any answer the twin gives at once; only failures wait it out. */
const ANSWER_WAIT_MS = 2000;
/** A dial's wait for a name that gets no answer. */
const SHORT_WAIT_MS = 50;

describe('resolving a peer name', () => {
  it('takes an IP literal as it is, asking nothing', async () => {
    const system = new TwinSystem();
    const names = new PeerNameResolver(system);
    expect(await names.resolve('10.89.0.7', ANSWER_WAIT_MS)).toBe('10.89.0.7');
    expect(await names.resolve('::1', ANSWER_WAIT_MS)).toBe('::1');
    expect(system.queries).toEqual([]);
    expect(system.systemLookups).toEqual([]);
  });

  it('answers from /etc/hosts before DNS, and sends localhost names to the system resolver only', async () => {
    const system = new TwinSystem();
    system.systemAnswers.set('localhost', '127.0.0.1');
    system.systemAnswers.set('n1.localhost', '127.0.0.1');
    const names = new PeerNameResolver(system);
    expect(await names.resolve('Host.Containers.Internal', ANSWER_WAIT_MS)).toBe('10.89.0.1');
    expect(await names.resolve('localhost', ANSWER_WAIT_MS)).toBe('127.0.0.1');
    expect(await names.resolve('n1.localhost', ANSWER_WAIT_MS)).toBe('127.0.0.1');
    expect(system.queries).toEqual([]);
    expect(system.systemLookups).toEqual(['localhost', 'n1.localhost']);
  });

  it('asks DNS in the system resolver order: search domains first for a short name, the first server first', async () => {
    const system = new TwinSystem();
    system.set(AARDVARK, 'n1.dns.podman', 4, ['10.89.0.5']);
    const names = new PeerNameResolver(system);
    expect(await names.resolve('n1', ANSWER_WAIT_MS)).toBe('10.89.0.5');
    expect(system.queries).toEqual([`${AARDVARK} n1.dns.podman/4`]);
  });

  it('follows ndots and the search list as Kubernetes sets them, and a trailing dot', () => {
    const conf = parseResolvConf('nameserver 10.96.0.10\nsearch ns1.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5 timeout:2\n');
    expect(conf).toEqual({ nameservers: ['10.96.0.10'], search: ['ns1.svc.cluster.local', 'svc.cluster.local', 'cluster.local'], ndots: 5 });
    expect(searchCandidates('holdfast-0.holdfast', conf)).toEqual([
      'holdfast-0.holdfast.ns1.svc.cluster.local',
      'holdfast-0.holdfast.svc.cluster.local',
      'holdfast-0.holdfast.cluster.local',
      'holdfast-0.holdfast',
    ]);
    expect(searchCandidates('a.b.c.d.e.example', conf)[0]).toBe('a.b.c.d.e.example');
    expect(searchCandidates('peer.example.', conf)).toEqual(['peer.example']);
    expect(parseResolvConf(undefined)).toEqual({ nameservers: ['127.0.0.1'], search: [], ndots: 1 });
    expect(parseResolvConf('domain example.org\n# search x\nnameserver ::1 ; comment\n')).toEqual({ nameservers: ['::1'], search: ['example.org'], ndots: 1 });
  });

  it('reaches a name that has only an IPv6 address through its AAAA record', async () => {
    const system = new TwinSystem();
    system.set(AARDVARK, 'n1.dns.podman', 4, 'ENODATA');
    system.set(AARDVARK, 'n1.dns.podman', 6, ['fd00::5']);
    expect(await new PeerNameResolver(system).resolve('n1', ANSWER_WAIT_MS)).toBe('fd00::5');
  });

  it('passes over a server that does not answer or refuses, and asks the first server first again on the next dial', async () => {
    const system = new TwinSystem();
    system.set(AARDVARK, 'peer.example', 4, 'ETIMEOUT');
    system.set(UPSTREAM, 'peer.example', 4, ['192.0.2.7']);
    const names = new PeerNameResolver(system);
    expect(await names.resolve('peer.example', ANSWER_WAIT_MS)).toBe('192.0.2.7');
    system.set(AARDVARK, 'peer.example', 4, 'ECONNREFUSED');
    expect(await names.resolve('peer.example', ANSWER_WAIT_MS)).toBe('192.0.2.7');
    expect(system.queries).toEqual([`${AARDVARK} peer.example/4`, `${UPSTREAM} peer.example/4`, `${AARDVARK} peer.example/4`, `${UPSTREAM} peer.example/4`]);
    expect(system.systemLookups).toEqual([]);
  });

  it('fails a dial while DNS does not answer, without a system lookup, and takes the new address on the first dial after the name answers', async () => {
    // A podman network while its DNS server is cut off: aardvark-dns gets nothing, the host's
    // resolver says the container's name does not exist.
    const system = new TwinSystem();
    system.set(AARDVARK, 'n1.dns.podman', 4, 'hang');
    system.set(AARDVARK, 'n1', 4, 'hang');
    const names = new PeerNameResolver(system);
    for (let dial = 0; dial < 5; dial += 1) {
      await expect(names.resolve('n1', SHORT_WAIT_MS)).rejects.toBeInstanceOf(PeerNameError);
    }
    expect(system.systemLookups).toEqual([]);
    expect(names.systemLookupsRunning).toBe(0);
    const failure = await names.resolve('n1', SHORT_WAIT_MS).catch((error: Error) => error.message);
    expect(failure).toBe(`the name n1 gave no address within ${SHORT_WAIT_MS} ms (n1.dns.podman at ${AARDVARK}: no answer yet)`);
    // DNS answers again, with the restarted container's new address; the queries of the earlier
    // dials are still out and never answer.
    system.set(AARDVARK, 'n1.dns.podman', 4, ['10.89.0.9']);
    expect(await names.resolve('n1', ANSWER_WAIT_MS)).toBe('10.89.0.9');
  });

  it('says why a name did not resolve', async () => {
    const system = new TwinSystem();
    system.set(AARDVARK, 'n1.dns.podman', 4, 'ETIMEOUT');
    system.set(AARDVARK, 'n1', 4, 'ETIMEOUT');
    const failure = await new PeerNameResolver(system).resolve('n1', ANSWER_WAIT_MS).catch((error: Error) => error);
    expect(failure).toBeInstanceOf(PeerNameError);
    expect((failure as Error).message).toBe(`DNS did not answer for the name n1 (n1.dns.podman at ${AARDVARK}: ETIMEOUT; n1 at ${AARDVARK}: ETIMEOUT)`);
  });

  it('asks the system resolver about a name every DNS server says does not exist, one lookup per name however many dials wait', async () => {
    const system = new TwinSystem();
    const names = new PeerNameResolver(system);
    // The system resolver hangs on `n1` (its other sources do not answer either).
    for (let dial = 0; dial < 5; dial += 1) {
      await expect(names.resolve('n1', SHORT_WAIT_MS)).rejects.toBeInstanceOf(PeerNameError);
    }
    expect(system.systemLookups).toEqual(['n1']);
    expect(names.systemLookupsRunning).toBe(1);
    // Another name does not wait for it.
    system.systemAnswers.set('printer.local', '192.0.2.9');
    expect(await names.resolve('printer.local', ANSWER_WAIT_MS)).toBe('192.0.2.9');
    // A dial waiting when the hung lookup returns takes its answer; the next dial starts a new one.
    const waiting = names.resolve('n1', ANSWER_WAIT_MS);
    await sleep(SHORT_WAIT_MS);
    system.finishSystemLookup('n1', '192.0.2.8');
    expect(await waiting).toBe('192.0.2.8');
    expect(names.systemLookupsRunning).toBe(0);
    system.systemAnswers.set('n1', '192.0.2.10');
    expect(await names.resolve('n1', ANSWER_WAIT_MS)).toBe('192.0.2.10');
    expect(system.systemLookups).toEqual(['n1', 'printer.local', 'n1']);
  });
});

/** A listener that answers the link's greeting and keeps what it is sent (dialLink's side only). */
async function greetingListener(): Promise<{ port: number; close(): void }> {
  const server = net.createServer((socket) => {
    socket.once('data', (greeting: Buffer) => {
      if (greeting.subarray(0, LINK_GREETING.byteLength).equals(LINK_GREETING)) socket.write(LINK_GREETING_REPLY);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

describe('dialling a peer by name', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const step of cleanup.splice(0)) step();
  });

  it('connects to the address the name resolves to', async () => {
    const listener = await greetingListener();
    cleanup.push(listener.close);
    const system = new TwinSystem();
    system.set(AARDVARK, 'peer-two.dns.podman', 4, ['127.0.0.1']);
    const socket = await dialLink(dialOptions({ address: `peer-two:${listener.port}`, dialWaitMs: ANSWER_WAIT_MS, names: new PeerNameResolver(system) }));
    socket.destroy();
    expect(system.queries).toEqual([`${AARDVARK} peer-two.dns.podman/4`]);
  });

  it('fails within its deadline while the name gets no answer', async () => {
    const system = new TwinSystem();
    system.set(AARDVARK, 'peer-two.dns.podman', 4, 'hang');
    system.set(AARDVARK, 'peer-two', 4, 'hang');
    const dial = dialLink(dialOptions({ address: 'peer-two:7101', dialWaitMs: SHORT_WAIT_MS, names: new PeerNameResolver(system) }));
    await expect(dial).rejects.toBeInstanceOf(PeerNameError);
    expect(system.systemLookups).toEqual([]);
  });
});

function heartbeat(commit: number): Message {
  return newMessage({ type: 'heartbeat', from: 1, to: 2, term: 3, commit });
}

function transport(selfId: number, handlers: TransportHandlers, addressOf: () => string | undefined, peerNames?: PeerNameResolver): Transport {
  return new Transport(transportOptions({ selfId, handlers, addressOf, ...(peerNames === undefined ? {} : { peerNames }) }));
}

describe('a link to a peer whose name stops answering', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const step of cleanup.splice(0)) step();
  });

  it('redials while DNS is silent, starts no system lookup, and delivers once the name answers', async () => {
    const received = deliveryRecording();
    const inbound = transport(2, received, () => undefined);
    const server = new grpc.Server();
    server.addService(loadProtos().raft, inbound.serviceImplementation());
    const listener = new PeerListener({ grpcServer: server, grpcCredentials: serverCredentials(undefined, { requireClientCert: true }), tls: undefined, inbound: inbound.linkInbound(), logger });
    const port = await listener.listen('127.0.0.1:0');
    cleanup.push(() => {
      listener.close();
      inbound.close();
      server.forceShutdown();
    });

    const system = new TwinSystem();
    system.set(AARDVARK, 'n2.dns.podman', 4, 'hang');
    system.set(AARDVARK, 'n2', 4, 'hang');
    const names = new PeerNameResolver(system);
    const sent = deliveryRecording();
    const sender = transport(1, sent, () => `n2:${port}`, names);
    cleanup.push(() => sender.close());
    let commit = 0;
    // Dials fail (each after the link's dial wait) until the name answers.
    for (let i = 0; system.queries.length < 2 && i < 400; i += 1) {
      sender.send([heartbeat(++commit)]);
      await sleep(25);
    }
    expect(system.queries.length).toBeGreaterThanOrEqual(2);
    expect(received.delivered).toEqual([]);
    expect(sent.reachable).toContain(false);
    system.set(AARDVARK, 'n2.dns.podman', 4, ['127.0.0.1']);
    for (let i = 0; received.delivered.length === 0 && i < 400; i += 1) {
      sender.send([heartbeat(++commit)]);
      await sleep(25);
    }
    expect(received.delivered.length).toBeGreaterThan(0);
    expect(system.systemLookups).toEqual([]);
  });
});
