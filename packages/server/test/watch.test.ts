/**
 * KV.Watch on a lone node in this process: changes in order with their revisions, replay from a
 * past revision, compacted history, progress responses, bad input and limits, and the end of
 * every watch when the node stops.
 */
import * as grpc from '@grpc/grpc-js';
import { loadProtos, type WatchResponse__Output } from '@holdfast/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunningNode } from '../src/node.js';
import { bytes, call, closeClients, startLoneNode, tempDir } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** An open watch: the responses so far, and how it ended (a gRPC status and holdfast-error kind). */
interface OpenWatch {
  readonly responses: WatchResponse__Output[];
  ended: { code: grpc.status; kind: string; message: string } | undefined;
  cancel(): void;
  /** Waits until `predicate` holds for the responses (or the watch ended). */
  until(predicate: (responses: WatchResponse__Output[]) => boolean, timeoutMs?: number): Promise<void>;
}

function watch(address: string, request: object): OpenWatch {
  const client = new (loadProtos().KvClient)(address, grpc.credentials.createInsecure());
  const stream = client.watch(request);
  const opened: OpenWatch = {
    responses: [],
    ended: undefined,
    cancel: () => stream.cancel(),
    async until(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(opened.responses) && opened.ended === undefined) {
        if (Date.now() > deadline) throw new Error(`watch did not get there: ${JSON.stringify(opened.responses.map(show))}`);
        await sleep(10);
      }
    },
  };
  stream.on('data', (response: WatchResponse__Output) => opened.responses.push(response));
  stream.on('error', (error: grpc.ServiceError) => {
    const kind = error.metadata?.get('holdfast-error')[0];
    opened.ended = { code: error.code, kind: typeof kind === 'string' ? kind : '', message: error.details };
    client.close();
  });
  return opened;
}

/** A response as text: "created@R", "progress@R" or "put k=v@R, delete k@R". */
function show(response: WatchResponse__Output): string {
  const revision = response.header?.revision ?? -1;
  if (response.created) return `created@${revision}`;
  if (response.events.length === 0) return `progress@${revision}`;
  return response.events
    .map((e) => (e.type === 'PUT' ? `put ${e.kv?.key.toString()}=${e.kv?.value.toString()}@${e.kv?.modRevision}` : `delete ${e.kv?.key.toString()}@${e.kv?.modRevision}`))
    .join(', ');
}

const events = (opened: OpenWatch): string[] => opened.responses.filter((r) => r.events.length > 0).map(show);

describe('KV.Watch', () => {
  const dir = tempDir('watch');
  let node: RunningNode | undefined;
  let address = '';

  async function start(flags: readonly string[] = []): Promise<void> {
    ({ node, address } = await startLoneNode(`${dir.path}/${Math.random().toString(36).slice(2)}`, flags));
  }

  afterEach(async () => {
    await node?.stop();
    node = undefined;
    closeClients();
  });

  it('tells every matching change in order, from the next revision, a txn as one revision', async () => {
    await start();
    await call(address, 'put', { key: bytes('job/0'), value: bytes('before') });
    const jobs = watch(address, { prefix: bytes('job/') });
    const one = watch(address, { start: bytes('job/2') });
    await jobs.until((r) => r.length >= 1);
    await one.until((r) => r.length >= 1);
    expect(show(jobs.responses[0]!)).toBe('created@1');

    await call(address, 'put', { key: bytes('job/1'), value: bytes('a') });
    await call(address, 'put', { key: bytes('other'), value: bytes('x') });
    await call(address, 'txn', { success: [{ put: { key: bytes('job/2'), value: bytes('b') } }, { delete: { key: bytes('job/1') } }] });
    await call(address, 'delete', { key: bytes('job/2') });
    await jobs.until(() => events(jobs).length >= 3);
    await one.until(() => events(one).length >= 2);
    expect(events(jobs)).toEqual(['put job/1=a@2', 'put job/2=b@4, delete job/1@4', 'delete job/2@5']);
    expect(events(one)).toEqual(['put job/2=b@4', 'delete job/2@5']);
    const put = jobs.responses.find((r) => r.events.length > 0)?.events[0]?.kv;
    expect(put).toMatchObject({ createRevision: 2, modRevision: 2, version: 1 });
    jobs.cancel();
    one.cancel();
  });

  it('tells each change to exactly the watches that cover it: one key, nested prefixes, ranges', async () => {
    await start();
    const selectors: Record<string, object> = {
      'key ab': { start: bytes('ab') },
      'prefix a': { prefix: bytes('a') },
      'prefix ab': { prefix: bytes('ab') },
      'prefix b': { prefix: bytes('b') },
      'range [aa, ac)': { start: bytes('aa'), end: bytes('ac') },
      'from b on': { start: bytes('b'), end: Buffer.from([0]) },
    };
    const open = Object.fromEntries(Object.entries(selectors).map(([name, selector]) => [name, watch(address, selector)]));
    for (const w of Object.values(open)) await w.until((r) => r.length >= 1);
    for (const key of ['abc', 'ab', 'a', 'b', 'ba', 'zz']) await call(address, 'put', { key: bytes(key), value: bytes('1') });
    // Every watch has seen the last change it covers once a catch-all watch saw the last put.
    await open['from b on']!.until(() => events(open['from b on']!).join().includes('zz'));
    await open['prefix a']!.until(() => events(open['prefix a']!).length >= 3);
    const keysTold = (name: string): string[] => events(open[name]!).flatMap((e) => e.split(', ').map((one) => one.split('=')[0]!.replace('put ', '')));
    expect(keysTold('key ab')).toEqual(['ab']);
    expect(keysTold('prefix a')).toEqual(['abc', 'ab', 'a']);
    expect(keysTold('prefix ab')).toEqual(['abc', 'ab']);
    expect(keysTold('prefix b')).toEqual(['b', 'ba']);
    expect(keysTold('range [aa, ac)')).toEqual(['abc', 'ab']);
    expect(keysTold('from b on')).toEqual(['b', 'ba', 'zz']);

    // A watch that ends leaves the index; the others sharing its prefix go on.
    open['prefix ab']!.cancel();
    await sleep(100);
    await call(address, 'put', { key: bytes('abd'), value: bytes('2') });
    await open['prefix a']!.until(() => events(open['prefix a']!).length >= 4);
    await open['range [aa, ac)']!.until(() => events(open['range [aa, ac)']!).length >= 3);
    expect(keysTold('prefix a').at(-1)).toBe('abd');
    for (const w of Object.values(open)) w.cancel();
  });

  it('replays changes from a past revision, from memory or the history on disk, and refuses a start below the compacted revision', async () => {
    await start(['--watch-history-events-max', '3']);
    for (let i = 1; i <= 5; i++) await call(address, 'put', { key: bytes(`k${i}`), value: bytes(String(i)) });
    const replay = watch(address, { prefix: bytes('k'), startRevision: 3 });
    // How the replay is cut into responses depends on when the last put reached the watch index
    // (from the kept history or as a live change), so the test reads the events in order.
    const told = (): string[] => events(replay).flatMap((e) => e.split(', '));
    await replay.until(() => told().length >= 3);
    expect(show(replay.responses[0]!)).toBe('created@2');
    expect(told()).toEqual(['put k3=3@3', 'put k4=4@4', 'put k5=5@5']);
    await call(address, 'put', { key: bytes('k6'), value: bytes('6') });
    await replay.until(() => told().length >= 4);
    expect(told()).toEqual(['put k3=3@3', 'put k4=4@4', 'put k5=5@5', 'put k6=6@6']);

    // Older than memory keeps: read from the key history on disk, then live from memory.
    const fromDisk = watch(address, { prefix: bytes('k'), startRevision: 2, prevKv: true });
    const toldFromDisk = (): string[] => events(fromDisk).flatMap((e) => e.split(', '));
    await fromDisk.until(() => toldFromDisk().length >= 5);
    expect(toldFromDisk()).toEqual(['put k2=2@2', 'put k3=3@3', 'put k4=4@4', 'put k5=5@5', 'put k6=6@6']);
    await call(address, 'put', { key: bytes('k2'), value: bytes('7') });
    await fromDisk.until(() => toldFromDisk().length >= 6);
    expect(fromDisk.responses.flatMap((r) => r.events).at(-1)?.prevKv?.value.toString()).toBe('2');
    fromDisk.cancel();

    await call(address, 'compact', { revision: 4 });
    const old = watch(address, { prefix: bytes('k'), startRevision: 3 });
    await old.until(() => false).catch(() => undefined);
    expect(old.ended).toMatchObject({ code: grpc.status.OUT_OF_RANGE, kind: 'compacted' });
    expect(old.ended?.message).toMatch(/start revision 3 is older than the changes this member keeps \(from revision 4\)/);
    replay.cancel();
  });

  it('sends large replays in responses of bounded size, each ending at a whole revision', async () => {
    await start();
    const big = Buffer.alloc(900 * 1024, 'x');
    for (let i = 1; i <= 10; i++) await call(address, 'put', { key: bytes(`big/${i}`), value: big }, 10_000);
    const replay = watch(address, { prefix: bytes('big/'), startRevision: 1 });
    await replay.until(() => replay.responses.flatMap((r) => r.events).length >= 10);
    const withEvents = replay.responses.filter((r) => r.events.length > 0);
    expect(withEvents.length).toBeGreaterThan(1);
    for (const response of withEvents) {
      const bytes = response.events.reduce((sum, e) => sum + (e.kv?.value.length ?? 0), 0);
      // Under 4 MiB, what a gRPC client accepts by default (this test's client too).
      expect(bytes).toBeLessThanOrEqual(2 * 1024 * 1024 + big.length);
      // "Every matching change up to the header revision was sent": the last event's revision.
      expect(response.header?.revision).toBe(response.events.at(-1)?.kv?.modRevision);
    }
    expect(withEvents.flatMap((r) => r.events.map((e) => e.kv?.modRevision))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    replay.cancel();
  });

  it('cuts off a watch that does not read its responses, past --watch-queue-messages-max', async () => {
    await start(['--watch-queue-messages-max', '4']);
    const client = new (loadProtos().KvClient)(address, grpc.credentials.createInsecure());
    const stream = client.watch({ prefix: bytes('slow/') });
    let ended: grpc.ServiceError | undefined;
    stream.on('error', (error: grpc.ServiceError) => {
      ended = error;
    });
    await new Promise((resolve) => stream.once('data', resolve));
    // Stop reading: HTTP/2 flow control fills, then the node's queue for this watch.
    stream.pause();
    const value = Buffer.alloc(64 * 1024, 'v');
    for (let i = 0; i < 80; i++) await call(address, 'put', { key: bytes(`slow/${i}`), value });
    stream.resume();
    stream.on('data', () => {});
    const deadline = Date.now() + 10_000;
    while (ended === undefined && Date.now() < deadline) await sleep(20);
    expect(ended?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(ended?.metadata.get('holdfast-error')[0]).toBe('overloaded');
    expect(ended?.details).toMatch(/--watch-queue-messages-max/);
    client.close();
  });

  it('sends a progress response to an idle watch', async () => {
    await start(['--watch-progress-ms', '50']);
    await call(address, 'put', { key: bytes('a'), value: bytes('1') });
    const idle = watch(address, { start: bytes('b') });
    await call(address, 'put', { key: bytes('a'), value: bytes('2') });
    await idle.until((r) => r.some((response) => show(response) === 'progress@2'));
    expect(events(idle)).toEqual([]);
    idle.cancel();
  });

  it('refuses bad selectors and watches past --watchers-max, and ends every watch when the node stops', async () => {
    await start(['--watchers-max', '2', '--key-bytes-max', '8']);
    const refusals = [
      watch(address, { prefix: bytes('much-too-long') }),
      watch(address, {}),
      watch(address, { start: bytes('b'), end: bytes('a') }),
    ];
    for (const refused of refusals) await refused.until(() => false).catch(() => undefined);
    expect(refusals.map((r) => r.ended?.kind)).toEqual(['key-too-large', 'invalid-argument', 'invalid-argument']);

    const open = [watch(address, { prefix: bytes('x') }), watch(address, { prefix: bytes('y') })];
    for (const w of open) await w.until((r) => r.length >= 1);
    const third = watch(address, { prefix: bytes('z') });
    await third.until(() => false).catch(() => undefined);
    expect(third.ended).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, kind: 'overloaded' });
    const metrics = (await node?.metricsText()) ?? '';
    expect(metrics).toMatch(/^holdfast_watchers 2$/m);
    expect(metrics).toMatch(/^holdfast_watch_history_first_revision 1$/m);

    await node?.stop();
    node = undefined;
    for (const w of open) await w.until(() => false).catch(() => undefined);
    expect(open.map((w) => w.ended?.kind)).toEqual(['stopping', 'stopping']);
  });
});
