// End to end, real processes: a three-member cluster loses two members for good (killed, data
// deleted); `holdfast backup save --data-dir` and `holdfast recover --force-new-cluster` work on the
// survivor's files; the survivor comes back alone under the new cluster id epoch, grows back to
// three (add learners, promote) and serves every acknowledged write; a lost member's old data
// cannot rejoin, in either direction (needs packages/cli and packages/server built).
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '@holdfast/protocol';
import { LocalCluster } from '@holdfast/server';
import { afterAll, describe, expect, it } from 'vitest';
import { holdfastProcess } from './helpers.js';

const serverMain = fileURLToPath(new URL('../../server/dist/main.js', import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const kvClients = new Map<string, grpc.Client>();
function kv(address: string): Record<string, (...args: unknown[]) => void> {
  let client = kvClients.get(address);
  if (client === undefined) {
    client = new (loadProtos().KvClient)(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    kvClients.set(address, client);
  }
  return client as unknown as Record<string, (...args: unknown[]) => void>;
}

function kvCall<T>(address: string, method: string, request: object, timeoutMs = 2000): Promise<T> {
  const client = kv(address);
  return new Promise((resolve, reject) => {
    client[method]?.call(client, request, { deadline: Date.now() + timeoutMs }, (error: Error | null, answer: T) => (error ? reject(error) : resolve(answer)));
  });
}

/** Writes unique keys one after another with one session, retrying each on every endpoint until it is acknowledged or `stop()` says so. */
class AcknowledgedWrites {
  readonly acknowledged = new Map<string, string>();
  private sequence = 0;
  private stopped = false;

  constructor(private readonly clientId: string) {}

  stop(): void {
    this.stopped = true;
  }

  async run(endpoints: () => string[], prefix: string, count: number): Promise<void> {
    for (let i = 0; i < count && !this.stopped; i++) {
      const key = `${prefix}/${String(i).padStart(5, '0')}`;
      const value = `value of ${key}`;
      this.sequence += 1;
      const request = { key: Buffer.from(key), value: Buffer.from(value), session: { clientId: this.clientId, sequence: this.sequence } };
      for (let attempt = 0; !this.stopped; attempt++) {
        const list = endpoints();
        const address = list[attempt % Math.max(1, list.length)];
        if (address === undefined) break;
        const ok = await kvCall(address, 'put', request).then(
          () => true,
          () => false,
        );
        if (ok) {
          this.acknowledged.set(key, value);
          break;
        }
        await sleep(20);
      }
    }
  }
}

async function valueOn(address: string, key: string): Promise<string | undefined> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const answer = await kvCall<{ found: boolean; kv: { value: Buffer } | null }>(address, 'get', { key: Buffer.from(key) });
      return answer.found ? answer.kv?.value.toString() : undefined;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(100);
  }
}

async function memberIds(local: LocalCluster, address: string): Promise<number[]> {
  const list = await local.call<{ members: { id: number | string }[] }>(address, 'memberList', {});
  return list.members.map((m) => Number(m.id)).sort((a, b) => a - b);
}

const root = mkdtempSync(join(tmpdir(), 'holdfast-recover-'));
const started: ChildProcess[] = [];
let cluster: LocalCluster | undefined;

afterAll(async () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await cluster?.stop();
  for (const client of kvClients.values()) client.close();
  if (process.env['HOLDFAST_KEEP_TEST_DATA'] !== '1') rmSync(root, { recursive: true, force: true });
});

describe('back from a lost quorum', () => {
  it('recovers a survivor as a new one-member cluster, grows back to three, keeps every acknowledged write and refuses the old members', async () => {
    const local = await LocalCluster.start({ dataDir: join(root, 'cluster'), size: 3, clusterId: 'lost-quorum' });
    cluster = local;
    await local.waitForLeader();
    const [m1, m2, m3] = [local.member(1), local.member(2), local.member(3)];
    const endpoints = () => local.endpoints();

    // Phase A: every member up, then the survivor (3) caught up.
    const writers = [0, 1, 2, 3].map((n) => new AcknowledgedWrites(`recover-test-${n}`));
    await Promise.all(writers.map((writer, n) => writer.run(endpoints, `a${n}`, 20)));
    const acknowledgedCount = () => writers.reduce((sum, writer) => sum + writer.acknowledged.size, 0);
    expect(acknowledgedCount()).toBe(80);
    await waitUntil('member 3 applied phase A', async () => (await valueOn(m3.clientAddress, 'a3/00019')) === 'value of a3/00019');

    // Phase B: member 2 lost, so every write now needs members 1 and 3; member 1 is killed under load.
    await local.kill(2, 'SIGKILL');
    const phaseB = Promise.all(writers.map((writer, n) => writer.run(endpoints, `b${n}`, 100_000)));
    await waitUntil('writes acknowledged with two members', () => acknowledgedCount() >= 160);
    await local.kill(1, 'SIGKILL');
    for (const writer of writers) writer.stop();
    await phaseB;
    await local.kill(3, 'SIGKILL');
    const acknowledged = new Map(writers.flatMap((writer) => [...writer.acknowledged]));

    // The lost members' disks: member 1's old data is kept aside (found again later), then both deleted.
    const oldData1 = join(root, 'old-node-1');
    cpSync(m1.dataDir, oldData1, { recursive: true });
    local.wipe(1);
    local.wipe(2);

    // A backup from the survivor's files, no quorum: checked like any backup.
    const backupFile = join(root, 'survivor.backup');
    const saved = await holdfastProcess(['--json', 'backup', 'save', backupFile, '--data-dir', m3.dataDir], root);
    expect(saved.stderr).toBe('');
    expect(saved.code).toBe(0);
    const info = await holdfastProcess(['--json', 'backup', 'info', backupFile], root);
    expect(info.code).toBe(0);
    expect((JSON.parse(info.stdout) as { keys: number }).keys).toBeGreaterThanOrEqual(80);

    // recover makes member 3 a cluster of its own.
    const recovered = await holdfastProcess(['--json', 'recover', '--data-dir', m3.dataDir, '--force-new-cluster'], root);
    expect(recovered.stderr).toBe('');
    const result = JSON.parse(recovered.stdout) as { newClusterId: string; removed: number[]; memberId: number };
    expect(result).toMatchObject({ newClusterId: 'lost-quorum@2', removed: [1, 2], memberId: 3 });

    // Under its old cluster id the survivor refuses to start; under the new one it leads alone.
    local.startMember(3);
    await waitUntil('member 3 refused the old cluster id', () => !local.isRunning(3));
    expect(local.exitCode(3)).toBe(2);
    expect(readFileSync(m3.logFile, 'utf8')).toContain('belongs to cluster lost-quorum@2');
    local.adoptRecovery(3, 'lost-quorum@2');
    local.startMember(3);
    expect((await local.waitForLeader(30_000)).id).toBe(3);

    // Grow back to three with the usual flow: learners, caught up, promoted.
    const m4 = await local.addMember({ promote: true });
    const m5 = await local.addMember({ promote: true });
    expect([m4.id, m5.id]).toEqual([4, 5]);
    expect(await memberIds(local, m3.clientAddress)).toEqual([3, 4, 5]);

    // Nothing acknowledged before the loss is missing (all of it was on the survivor), on any member.
    const keys = [...acknowledged.keys()];
    for (let i = 0; i < keys.length; i += 50) {
      const slice = keys.slice(i, i + 50);
      const values = await Promise.all(slice.map((key) => valueOn(m3.clientAddress, key)));
      expect(values).toEqual(slice.map((key) => acknowledged.get(key)));
    }
    for (const member of [m4, m5]) {
      for (const key of [...acknowledged.keys()].filter((_, i) => i % 25 === 0)) expect(await valueOn(member.clientAddress, key)).toBe(acknowledged.get(key));
    }
    expect(await valueOn(m4.clientAddress, [...acknowledged.keys()].at(-1) ?? '')).toBe([...acknowledged.values()].at(-1));

    // Member 1's old data started again, under its old id and cluster id: refused both ways.
    const oldLog = join(root, 'old-node-1.log');
    const oldArgs = ['--id', '1', '--name', 'node-1', '--data-dir', oldData1, '--client-listen', m1.clientAddress, '--peer-listen', m1.peerAddress,
      '--initial-cluster', [m1, m2, m3].map((m) => `${m.id}=${m.name}/${m.region}/${m.peerAddress}/${m.clientAddress}`).join(','), '--election-ticks', '20'];
    const underNewId = spawn(process.execPath, [serverMain, ...oldArgs, '--cluster-id', 'lost-quorum@2'], { stdio: 'ignore' });
    started.push(underNewId);
    await waitUntil('the old data refused the new cluster id', () => underNewId.exitCode !== null);
    expect(underNewId.exitCode).toBe(2);
    const logFd = openSync(oldLog, 'a');
    const old = spawn(process.execPath, [serverMain, ...oldArgs, '--cluster-id', 'lost-quorum'], { stdio: ['ignore', logFd, logFd] });
    closeSync(logFd);
    started.push(old);
    // The old member campaigns towards member 3's address: member 3 refuses its batches...
    await waitUntil('member 3 refused the old member', () => readFileSync(m3.logFile, 'utf8').includes('\\"lost-quorum\\" is not this cluster\'s \\"lost-quorum@2\\"'), 30_000);
    await waitUntil('the old member heard why', () => existsSync(oldLog) && readFileSync(oldLog, 'utf8').includes('peer refused the raft stream'), 30_000);
    // ...and a learner added by mistake at the old member's address is refused by it.
    const leader = await local.waitForLeader();
    const added = await local.call<{ member: { id: number } }>(leader.clientAddress, 'memberAddLearner', {
      name: 'mistake', region: 'local', clientAddress: m1.clientAddress, peerAddress: m1.peerAddress,
    });
    await waitUntil('the old member refused the new cluster', () => readFileSync(oldLog, 'utf8').includes('\\"lost-quorum@2\\" is not this cluster\'s \\"lost-quorum\\"'), 30_000);
    await local.call((await local.waitForLeader()).clientAddress, 'memberRemove', { id: added.member.id });
    // The old member never joined: the new cluster's members are 3, 4, 5; it knows no leader.
    expect(await memberIds(local, m3.clientAddress)).toEqual([3, 4, 5]);
    const oldStatus = await local.call<{ leaderId: number }>(m1.clientAddress, 'status', { localOnly: true });
    expect(Number(oldStatus.leaderId)).toBe(0);
    expect(await valueOn(m3.clientAddress, 'a0/00000')).toBe('value of a0/00000');
    old.kill('SIGKILL');
  }, 180_000);
});
