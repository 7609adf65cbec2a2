import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { Prng } from '@holdfast/raft';
import { afterEach, describe, expect, it } from 'vitest';
import { ProxyNetwork, type TcpProxy } from '../src/proxy.js';

interface Upstream {
  server: net.Server;
  port: number;
  received: Buffer[];
  sockets: net.Socket[];
}

async function startUpstream(onConnect?: (socket: net.Socket) => void): Promise<Upstream> {
  const upstream: Upstream = { server: net.createServer(), port: 0, received: [], sockets: [] };
  upstream.server.on('connection', (socket) => {
    upstream.sockets.push(socket);
    socket.on('data', (chunk: Buffer) => {
      upstream.received.push(chunk);
      socket.write(chunk); // echo
    });
    socket.on('error', () => {});
    onConnect?.(socket);
  });
  await new Promise<void>((resolve) => upstream.server.listen(0, '127.0.0.1', resolve));
  const address = upstream.server.address() as net.AddressInfo;
  upstream.port = address.port;
  return upstream;
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

function readBytes(socket: net.Socket, count: number): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      total += chunk.length;
      if (total >= count) {
        socket.off('data', onData);
        resolve(Buffer.concat(chunks));
      }
    };
    socket.on('data', onData);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(onConnect?: (socket: net.Socket) => void): Promise<{
  network: ProxyNetwork;
  proxy: TcpProxy;
  upstream: Upstream;
}> {
  const upstream = await startUpstream(onConnect);
  const network = new ProxyNetwork({ prng: Prng.fromText('proxy-test') });
  const proxy = await network.addProxy({
    name: 'c->s',
    dialerId: 'c',
    listenerId: 's',
    target: () => ({ host: '127.0.0.1', port: upstream.port }),
  });
  cleanups.push(() => new Promise<void>((resolve) => upstream.server.close(() => resolve())));
  cleanups.push(() => {
    for (const socket of upstream.sockets) socket.destroy();
  });
  cleanups.push(() => network.close());
  return { network, proxy, upstream };
}

describe('TCP proxy', () => {
  it('forwards bytes both ways when the link is open', async () => {
    const { proxy } = await setup();
    const client = await connect(proxy.port);
    cleanups.push(() => void client.destroy());
    const echoed = readBytes(client, 5);
    client.write('hello');
    expect((await echoed).toString()).toBe('hello');
  });

  it('holds bytes on a cut link and delivers them in order once healed', async () => {
    const { network, proxy, upstream } = await setup();
    const client = await connect(proxy.port);
    cleanups.push(() => void client.destroy());
    const first = readBytes(client, 2);
    client.write('ab');
    await first;
    network.cut({ a: 'c', b: 's' });
    client.write('cd');
    client.write('ef');
    await sleep(150);
    expect(Buffer.concat(upstream.received).toString()).toBe('ab');
    const rest = readBytes(client, 4);
    network.healAll();
    expect((await rest).toString()).toBe('cdef');
  });

  it('a one-way cut drops only the bytes flowing in that direction', async () => {
    const { network, proxy, upstream } = await setup();
    const client = await connect(proxy.port);
    cleanups.push(() => void client.destroy());
    const first = readBytes(client, 1);
    client.write('x');
    await first;
    // s -> c is cut: the server still receives, the client hears nothing back.
    network.cut({ a: 's', b: 'c', oneWay: true });
    let heard = 0;
    client.on('data', (chunk: Buffer) => {
      heard += chunk.length;
    });
    client.write('yz');
    await sleep(150);
    expect(Buffer.concat(upstream.received).toString()).toBe('xyz');
    expect(heard).toBe(0);
    network.healAll();
    await sleep(100);
    expect(heard).toBe(2);
  });

  it('a one-way cut applies to connections dialed from either side', async () => {
    // Two proxies for the two directed pairs between a and b, as between two nodes.
    const upstreamA = await startUpstream();
    const upstreamB = await startUpstream();
    const network = new ProxyNetwork({ prng: new Prng(1) });
    cleanups.push(() => network.close());
    for (const up of [upstreamA, upstreamB]) {
      cleanups.push(() => new Promise<void>((resolve) => up.server.close(() => resolve())));
      cleanups.push(() => {
        for (const socket of up.sockets) socket.destroy();
      });
    }
    const aToB = await network.addProxy({
      name: 'a->b',
      dialerId: 'a',
      listenerId: 'b',
      target: () => ({ host: '127.0.0.1', port: upstreamB.port }),
    });
    const bToA = await network.addProxy({
      name: 'b->a',
      dialerId: 'b',
      listenerId: 'a',
      target: () => ({ host: '127.0.0.1', port: upstreamA.port }),
    });
    const dialedByA = await connect(aToB.port);
    const dialedByB = await connect(bToA.port);
    cleanups.push(() => void dialedByA.destroy());
    cleanups.push(() => void dialedByB.destroy());
    await sleep(50);
    network.cut({ a: 'a', b: 'b', oneWay: true });
    let echoToB = 0;
    dialedByB.on('data', (chunk: Buffer) => {
      echoToB += chunk.length;
    });
    dialedByA.write('1234'); // a -> b: held
    dialedByB.write('56'); // b -> a: arrives at a, but a's echo (a -> b) is held
    await sleep(150);
    expect(upstreamB.received.length).toBe(0);
    expect(Buffer.concat(upstreamA.received).toString()).toBe('56');
    expect(echoToB).toBe(0);
  });

  it('delays every chunk by at least the configured latency and keeps order under jitter', async () => {
    const { network, proxy } = await setup();
    network.setFault('c', 's', { latencyMs: 80, jitterMs: 40 });
    const client = await connect(proxy.port);
    cleanups.push(() => void client.destroy());
    const payload = Array.from({ length: 20 }, (_, i) => String.fromCharCode(65 + i));
    const echoed = readBytes(client, payload.length);
    const startMs = performance.now();
    for (const letter of payload) {
      client.write(letter);
      await sleep(2);
    }
    const received = await echoed;
    expect(performance.now() - startMs).toBeGreaterThanOrEqual(80);
    expect(received.toString()).toBe(payload.join(''));
  });

  it('limits bandwidth with a token bucket', async () => {
    const { network, proxy } = await setup();
    network.setFault('c', 's', { bandwidthBytesPerSecond: 100_000 });
    const client = await connect(proxy.port);
    cleanups.push(() => void client.destroy());
    const size = 66 * 1024; // 16 KiB burst + 50 KiB at 100 kB/s >= 0.5 s
    const echoed = readBytes(client, size);
    const startMs = performance.now();
    client.write(Buffer.alloc(size, 7));
    await echoed;
    expect(performance.now() - startMs).toBeGreaterThanOrEqual(480);
  });

  it('a reset destroys live connections and refuses new ones until healed', async () => {
    const { network, proxy } = await setup();
    const client = await connect(proxy.port);
    const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
    client.on('error', () => {});
    const first = readBytes(client, 1);
    client.write('x');
    await first;
    network.cut({ a: 'c', b: 's', mode: 'reset' });
    await closed;
    expect(proxy.connectionCount()).toBe(0);
    // A new connection is reset at once (before or just after the handshake completes).
    await new Promise<void>((resolve) => {
      const second = net.connect({ host: '127.0.0.1', port: proxy.port });
      second.on('error', () => {});
      second.on('close', () => resolve());
    });
    network.healAll();
    const third = await connect(proxy.port);
    cleanups.push(() => void third.destroy());
    const echoed = readBytes(third, 2);
    third.write('ok');
    expect((await echoed).toString()).toBe('ok');
  });

  it('identifies the dialer of a shared proxy from the first bytes', async () => {
    const upstream = await startUpstream();
    const network = new ProxyNetwork({ prng: new Prng(2) });
    cleanups.push(() => network.close());
    cleanups.push(() => new Promise<void>((resolve) => upstream.server.close(() => resolve())));
    cleanups.push(() => {
      for (const socket of upstream.sockets) socket.destroy();
    });
    const proxy = await network.addProxy({
      name: 'shared->s',
      listenerId: 's',
      classifyDialer: (head) => {
        const text = head.toString('latin1');
        const newline = text.indexOf('\n');
        return newline < 0 ? undefined : text.slice(0, newline);
      },
      target: () => ({ host: '127.0.0.1', port: upstream.port }),
    });
    network.cut({ a: 'x', b: 's' });
    const fromX = await connect(proxy.port);
    const fromY = await connect(proxy.port);
    cleanups.push(() => void fromX.destroy());
    cleanups.push(() => void fromY.destroy());
    fromX.write('x\nfrom-x');
    const echoY = readBytes(fromY, 8);
    fromY.write('y\nfrom-y');
    expect((await echoY).toString()).toBe('y\nfrom-y');
    expect(Buffer.concat(upstream.received).toString()).toBe('y\nfrom-y');
  });
});
