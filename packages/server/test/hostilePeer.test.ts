/**
 * Failure 1 of the integrity issue: one malformed peer message used to stop a member. A Raft
 * stream with the right cluster and member ids whose batch holds a `null` made the process exit
 * with a TypeError. Here real member processes get that batch and other hostile ones (bad
 * framing, out-of-range numbers, entries out of place, a conf change that cannot apply, an
 * acknowledgement of entries never sent, a malformed snapshot call), and must stay up, keep
 * serving reads and writes, and count what they dropped. The same holds on the TCP link: hostile
 * frames after its greeting (a malformed hello, an oversized or unknown frame, another epoch, a
 * batch that does not validate) are counted and close only their connection.
 */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { loadProtos, type StatusResponse__Output as StatusResponse } from '@holdfast/protocol';
import { type Message, newMessage } from '@holdfast/raft';
import { Packr } from 'msgpackr';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../src/localCluster.js';
import { encodeFrame, encodeValueFrame, FrameKind, LINK_GREETING } from '../src/peerLink/frames.js';
import { closeClients, get, SessionWriter, tempDir } from './helpers.js';

const packr = new Packr({ useRecords: false });
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The value of a labelled series in Prometheus text, 0 when absent. */
function rejectedCount(text: string, reason: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`holdfast_peer_messages_rejected_total{reason="${reason}"} `));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

async function scrape(address: string): Promise<string> {
  const response = await fetch(`http://${address}/metrics`);
  return response.text();
}

describe('hostile peer input against real member processes', () => {
  const dir = tempDir('hostile-peer');
  let cluster: LocalCluster;
  const clients: grpc.Client[] = [];

  beforeAll(async () => {
    cluster = await LocalCluster.start({ dataDir: dir.path, size: 3, logLevel: 'info' });
    await cluster.waitForLeader(30_000);
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    closeClients();
    await cluster?.stop();
    dir.remove();
  });

  function raftClient(id: number) {
    const client = new (loadProtos().RaftClient)(cluster.member(id).peerAddress, grpc.credentials.createInsecure());
    clients.push(client);
    return client;
  }

  /** Writes `batches` on one Raft stream to member `to`, as member `from`, and waits for them to land. */
  async function sendBatches(to: number, from: number, batches: readonly Uint8Array[]): Promise<void> {
    const stream = raftClient(to).stream();
    stream.on('error', () => {});
    stream.on('data', () => {});
    for (const messages of batches) stream.write({ clusterId: cluster.clusterId, from, to, messages, applyVersion: 2 });
    await sleep(300);
    stream.end();
  }

  async function localStatus(id: number): Promise<StatusResponse['members'][number]> {
    const answer = await cluster.call<StatusResponse>(cluster.member(id).clientAddress, 'status', { localOnly: true });
    const own = answer.members[0];
    if (own === undefined) throw new Error(`member ${id} told no status`);
    return own;
  }

  it('a batch holding null, and other hostile batches, are dropped and counted; every member keeps serving', async () => {
    const leader = await cluster.waitForLeader();
    const follower = cluster.members.find((m) => m.id !== leader.id)!;
    const writer = new SessionWriter('hostile-peer', () => cluster.endpoints());
    await writer.put('before', '1');
    const { term, commitIndex } = await localStatus(follower.id);
    const fromLeader = (fields: Partial<Message> & Pick<Message, 'type'>): Message =>
      newMessage({ from: leader.id, to: follower.id, term, ...fields });
    await sendBatches(follower.id, leader.id, [
      packr.pack([null]),
      packr.pack([fromLeader({ type: 'heartbeat', term: 2 ** 53 })]),
      packr.pack([{ ...fromLeader({ type: 'append', index: commitIndex, logTerm: term }), entries: [null] }]),
      packr.pack([fromLeader({ type: 'append', index: commitIndex, logTerm: term, entries: [{ type: 'normal', term, index: commitIndex + 5, data: Buffer.from('gap') }] })]),
      packr.pack([{ ...fromLeader({ type: 'heartbeat' }), from: 99 }]),
      packr.pack([{ ...fromLeader({ type: 'snapshot' }), snapshot: { meta: { index: 1e6, term, confState: null }, data: Buffer.alloc(0) } }]),
      // Well-formed, at the right place, but the conf change cannot apply: refused by the core.
      packr.pack([
        fromLeader({
          type: 'append',
          index: commitIndex,
          logTerm: term,
          commit: commitIndex + 1,
          entries: [{ type: 'confChange', term, index: commitIndex + 1, change: { type: 'removeNode', nodeId: 77 } }],
        }),
      ]),
      // A valid snapshot message, but on the stream instead of a SendSnapshot call with its state.
      packr.pack([
        {
          ...fromLeader({ type: 'snapshot' }),
          snapshot: { meta: { index: commitIndex + 100, term, confState: { voters: [1, 2, 3], learners: [] } }, data: Buffer.alloc(0) },
        },
      ]),
      Buffer.from('not msgpack at all'),
    ]);
    // An acknowledgement of entries the leader never had, in a follower's name.
    const { commitIndex: leaderCommit, term: leaderTerm } = await localStatus(leader.id);
    await sendBatches(leader.id, follower.id, [
      packr.pack([newMessage({ type: 'appendResponse', from: follower.id, to: leader.id, term: leaderTerm, index: leaderCommit + 1000 })]),
    ]);
    // A snapshot call whose first chunk holds no valid snapshot message.
    const ack = await new Promise<{ ok: boolean }>((resolve, reject) => {
      const call = raftClient(follower.id).sendSnapshot((error, answer) => (error ? reject(error) : resolve(answer as { ok: boolean })));
      call.write({ clusterId: cluster.clusterId, from: leader.id, to: follower.id, message: packr.pack([null]), data: Buffer.alloc(0), last: true });
      call.end();
    });
    expect(ack.ok).toBe(false);

    for (const member of cluster.members) expect(cluster.isRunning(member.id), `member ${member.id} runs`).toBe(true);
    await writer.put('after', '2');
    for (const member of cluster.members) {
      expect((await get(member.clientAddress, 'after')).kv?.value.toString()).toBe('2');
      expect((await get(member.clientAddress, 'before')).kv?.value.toString()).toBe('1');
    }
    const metrics = await scrape(follower.metricsAddress);
    expect(rejectedCount(metrics, 'shape')).toBeGreaterThanOrEqual(2); // the null, and the snapshot call's null
    expect(rejectedCount(metrics, 'range')).toBeGreaterThanOrEqual(1);
    expect(rejectedCount(metrics, 'entries')).toBeGreaterThanOrEqual(2); // an entry null, a gap
    expect(rejectedCount(metrics, 'wrong-peer')).toBeGreaterThanOrEqual(1);
    expect(rejectedCount(metrics, 'snapshot')).toBeGreaterThanOrEqual(1);
    expect(rejectedCount(metrics, 'not-a-list')).toBeGreaterThanOrEqual(1);
    expect(rejectedCount(metrics, 'snapshot-framing')).toBeGreaterThanOrEqual(1);
    // The operator sees it: a warning naming the peer and the problem (rate-limited per peer).
    const warnings = readFileSync(follower.logFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes('peer input refused and dropped'))
      .map((line) => JSON.parse(line) as { peer: string; reason: string; problem: string });
    expect(warnings.length).toBeGreaterThanOrEqual(1);
    expect(warnings[0]).toMatchObject({ peer: String(leader.id), reason: 'shape', problem: 'message is not an object' });
    // The follower did not take the refused conf change: the membership is the one it was.
    const members = await cluster.call<{ members: unknown[] }>(follower.clientAddress, 'memberList', {});
    expect(members.members).toHaveLength(3);
  });

  it('hostile bytes on the TCP link are dropped and counted, the connection closed; every member keeps serving', async () => {
    const leader = await cluster.waitForLeader();
    const follower = cluster.members.find((m) => m.id !== leader.id)!;
    const writer = new SessionWriter('hostile-link', () => cluster.endpoints());
    await writer.put('link-before', '1');
    const { term } = await localStatus(follower.id);
    const hello = (fields: Record<string, unknown> = {}): Buffer =>
      encodeValueFrame(FrameKind.hello, { version: 1, clusterId: cluster.clusterId, from: leader.id, to: follower.id, purpose: 'raft', applyVersion: 2, ...fields });
    const oversized = Buffer.alloc(5);
    oversized.writeUInt32BE(0x7fff_ffff, 0);
    oversized.writeUInt8(FrameKind.batch, 4);
    const before = await scrape(follower.metricsAddress);
    const attacks: Buffer[][] = [
      [encodeValueFrame(FrameKind.hello, { version: 'one' })],
      [hello(), oversized],
      [hello(), Buffer.from([0, 0, 0, 1, 200])],
      [hello({ clusterId: `${cluster.clusterId}@2` })],
      [hello(), encodeFrame(FrameKind.batch, packr.pack([null]))],
      [hello(), encodeFrame(FrameKind.batch, packr.pack([newMessage({ type: 'heartbeat', from: 99, to: follower.id, term })]))],
    ];
    for (const frames of attacks) await sendLinkFrames(follower.peerAddress, frames);

    for (const member of cluster.members) expect(cluster.isRunning(member.id), `member ${member.id} runs`).toBe(true);
    await writer.put('link-after', '2');
    for (const member of cluster.members) expect((await get(member.clientAddress, 'link-after')).kv?.value.toString()).toBe('2');
    const after = await scrape(follower.metricsAddress);
    const rose = (reason: string): number => rejectedCount(after, reason) - rejectedCount(before, reason);
    expect(rose('hello')).toBeGreaterThanOrEqual(1);
    expect(rose('frame-too-large')).toBeGreaterThanOrEqual(1);
    expect(rose('frame-framing')).toBeGreaterThanOrEqual(1);
    expect(rose('refused')).toBeGreaterThanOrEqual(1);
    expect(rose('shape')).toBeGreaterThanOrEqual(1);
    expect(rose('wrong-peer')).toBeGreaterThanOrEqual(1);
  });
});

/** Greets a member's peer port as the TCP link does, writes `frames`, and waits for it to close the connection or 1 s. */
async function sendLinkFrames(address: string, frames: readonly Buffer[]): Promise<void> {
  const colon = address.lastIndexOf(':');
  const socket = net.connect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)) });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.resume();
  socket.write(LINK_GREETING);
  for (const frame of frames) socket.write(frame);
  await Promise.race([closed, sleep(1000)]);
  socket.destroy();
}
