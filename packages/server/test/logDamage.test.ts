/**
 * Failure 2 of issue 10, reproduced on real processes: a follower acknowledged writes, was killed,
 * and the end of its log's write-ahead file was damaged while it was down, so LevelDB dropped
 * acknowledged records at its next open. The member must say so (log, status), repair itself from
 * the others without voting meanwhile, and afterwards hold every acknowledged write, so that
 * losing the other follower loses nothing and later writes get the same revisions everywhere.
 * Where no other member can hold what it lost (a single-member cluster), it stops and says what to do.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MemberStatus__Output as MemberStatus, StatusResponse__Output as StatusResponse } from '@holdfast/protocol';
import { ClassicLevel } from 'classic-level';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../src/localCluster.js';
import { bytes, call, closeClients, type GetAnswer, moveLeadership, SessionWriter, tempDir } from './helpers.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Flips bytes inside the last records of the log database's write-ahead file, as a torn or
 * decayed write would: LevelDB's checksum then fails and it drops those records at open.
 */
function damageLogTail(dataDir: string): void {
  const dir = join(dataDir, 'log');
  const wal = readdirSync(dir).find((name) => name.endsWith('.log'));
  if (wal === undefined) throw new Error(`no write-ahead file in ${dir}`);
  const path = join(dir, wal);
  const data = readFileSync(path);
  if (data.length < 400) throw new Error(`write-ahead file ${path} holds only ${data.length} bytes`);
  for (let offset = data.length - 300; offset < data.length - 280; offset += 1) data[offset] = data[offset]! ^ 0xff;
  writeFileSync(path, data);
}

async function ownStatus(cluster: LocalCluster, id: number): Promise<MemberStatus | undefined> {
  const answer = await cluster
    .call<StatusResponse>(cluster.member(id).clientAddress, 'status', { localOnly: true }, 500)
    .catch(() => undefined);
  return answer?.members[0];
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The member's own row once it answers and its applied index reached `index`. */
function appliedAtLeast(cluster: LocalCluster, id: number, index: number): Promise<MemberStatus> {
  return waitFor(`member ${id} to apply ${index}`, async () => {
    const own = await ownStatus(cluster, id);
    return own !== undefined && own.appliedIndex >= index ? own : undefined;
  });
}

async function serializableRead(address: string, key: string): Promise<GetAnswer> {
  return call<GetAnswer>(address, 'get', { key: bytes(key), consistency: 'SERIALIZABLE' });
}

describe('a follower whose log lost acknowledged records (failure 2)', () => {
  const dir = tempDir('log-damage');
  let cluster: LocalCluster;
  const writer = new SessionWriter('damage', () => cluster.endpoints());
  const DAMAGED = 3;
  const OTHER = 2;
  const LEADER = 1;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ dataDir: dir.path, size: 3, logLevel: 'info' });
    await moveLeadership(cluster, LEADER);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    closeClients();
    dir.remove();
  });

  it('is detected at start, repairs without voting, and then holds every acknowledged write', async () => {
    for (let n = 0; n < 150; n += 1) await writer.put(`k-${n}`, `v-${n}`);
    const commit = (await ownStatus(cluster, LEADER))?.commitIndex ?? 0;
    const before = await appliedAtLeast(cluster, DAMAGED, commit);
    await cluster.kill(DAMAGED, 'SIGKILL');
    damageLogTail(cluster.member(DAMAGED).dataDir);
    // The leader goes too: the member left cannot elect a leader without the damaged member's
    // vote, which it must not give while in repair.
    await cluster.kill(LEADER, 'SIGKILL');
    cluster.startMember(DAMAGED);

    const repairing = await waitFor('the damaged member to report its repair', async () => {
      const own = await ownStatus(cluster, DAMAGED);
      return own?.repairing === true ? own : undefined;
    });
    expect(repairing.repairReason).toMatch(/log-dropped-records/);
    const log = readFileSync(cluster.member(DAMAGED).logFile, 'utf8');
    expect(log).toMatch(/damage found at start: log-dropped-records/);
    expect(log).toMatch(/checksum mismatch/);
    expect(log).toMatch(/damage found at start: applied-past-log-end/);
    expect(log).toMatch(/repairing this member from the others: dropping its log \(keeping its state as a snapshot\)/);
    // Several election timeouts pass: member 2 alone (with a log ahead of the damaged one's)
    // would win with its vote; it gets none.
    const watchUntil = Date.now() + 3000;
    while (Date.now() < watchUntil) {
      expect(await cluster.findLeader()).toBeUndefined();
      expect((await ownStatus(cluster, DAMAGED))?.repairing).toBe(true);
      await sleep(200);
    }

    cluster.startMember(LEADER);
    const leader = await cluster.waitForLeader(30_000);
    const leaderCommit = (await ownStatus(cluster, leader.id))?.commitIndex ?? 0;
    const repaired = await waitFor('the damaged member to finish its repair', async () => {
      const own = await ownStatus(cluster, DAMAGED);
      return own !== undefined && !own.repairing && own.appliedIndex >= leaderCommit ? own : undefined;
    }, 60_000);
    expect(repaired.appliedIndex).toBeGreaterThanOrEqual(before.appliedIndex);
    expect(readFileSync(cluster.member(DAMAGED).logFile, 'utf8')).toMatch(/repair finished/);
    expect(readFileSync(cluster.member(leader.id).logFile, 'utf8')).toMatch(new RegExp(`member ${DAMAGED} lost entries it acknowledged`));
    expect(existsSync(join(cluster.member(DAMAGED).dataDir, 'repair.json'))).toBe(false);

    // The other follower is lost: every acknowledged write is still there, on the two left.
    await cluster.kill(OTHER, 'SIGKILL');
    for (const [key, value] of writer.acknowledged) {
      const answer = await waitFor(`a read of ${key}`, () => call<GetAnswer>(cluster.member(DAMAGED).clientAddress, 'get', { key: bytes(key) }).catch(() => undefined));
      expect(answer.kv?.value.toString(), `acknowledged write ${key}`).toBe(value);
    }
    // Later writes get the same revisions on every member.
    const later: { key: string; revision: number }[] = [];
    for (let n = 0; n < 20; n += 1) {
      const { revision } = await writer.put(`later-${n}`, `w-${n}`);
      later.push({ key: `later-${n}`, revision: Number(revision) });
    }
    cluster.startMember(OTHER);
    const finalCommit = (await ownStatus(cluster, (await cluster.waitForLeader()).id))?.commitIndex ?? 0;
    for (const id of [1, 2, 3]) {
      await appliedAtLeast(cluster, id, finalCommit);
      for (const { key, revision } of later) {
        const answer = await serializableRead(cluster.member(id).clientAddress, key);
        expect(Number(answer.kv?.modRevision), `${key} on member ${id}`).toBe(revision);
      }
    }
  }, 240_000);
});

describe('a follower whose log lost its hard state record at rest (FINDINGS R6)', () => {
  const dir = tempDir('log-hard-state');
  let cluster: LocalCluster;
  const writer = new SessionWriter('hard-state', () => cluster.endpoints());
  const DAMAGED = 3;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ dataDir: dir.path, size: 3, logLevel: 'info' });
    await moveLeadership(cluster, 1);
  }, 120_000);

  afterAll(async () => {
    await cluster?.stop();
    closeClients();
    dir.remove();
  });

  it('reports it at start and repairs (term and vote from the term/vote file), instead of failing to start', async () => {
    for (let n = 0; n < 40; n += 1) await writer.put(`k-${n}`, `v-${n}`);
    const commit = (await ownStatus(cluster, 1))?.commitIndex ?? 0;
    await appliedAtLeast(cluster, DAMAGED, commit);
    await cluster.kill(DAMAGED, 'SIGKILL');
    const logDb = new ClassicLevel<Buffer, Buffer>(join(cluster.member(DAMAGED).dataDir, 'log'), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    expect(await logDb.get(Buffer.from('h'))).toBeDefined();
    await logDb.del(Buffer.from('h'));
    await logDb.close();
    cluster.startMember(DAMAGED);

    const leaderCommit = await waitFor('a commit index past the damage', async () => {
      await writer.put('after', 'damage');
      return (await ownStatus(cluster, 1))?.commitIndex;
    });
    const repaired = await waitFor('the damaged member to finish its repair', async () => {
      const own = await ownStatus(cluster, DAMAGED);
      return own !== undefined && !own.repairing && own.appliedIndex >= leaderCommit ? own : undefined;
    }, 60_000);
    expect(repaired.appliedIndex).toBeGreaterThanOrEqual(leaderCommit);
    const log = readFileSync(cluster.member(DAMAGED).logFile, 'utf8');
    expect(log).toMatch(/damage found at start: log-hard-state-lost/);
    expect(log).toMatch(/the hard state record is missing, but the log holds/);
    expect(log).toMatch(/repairing this member from the others: dropping its log \(keeping its state as a snapshot\)/);
    expect(log).toMatch(/repair finished/);
    for (const [key, value] of writer.acknowledged) {
      const answer = await serializableRead(cluster.member(DAMAGED).clientAddress, key);
      expect(answer.kv?.value.toString(), `acknowledged write ${key}`).toBe(value);
    }
  }, 180_000);
});

describe('a single member whose log lost acknowledged records', () => {
  const dir = tempDir('log-damage-single');
  let cluster: LocalCluster;

  beforeAll(async () => {
    cluster = await LocalCluster.start({ dataDir: dir.path, size: 1, logLevel: 'info' });
    await cluster.waitForLeader();
  }, 60_000);

  afterAll(async () => {
    await cluster?.stop();
    closeClients();
    dir.remove();
  });

  it('stops with a message saying repair is unsafe and what to do, leaving its data in place', async () => {
    const writer = new SessionWriter('single', () => cluster.endpoints());
    for (let n = 0; n < 150; n += 1) await writer.put(`k-${n}`, `v-${n}`);
    await cluster.kill(1, 'SIGKILL');
    damageLogTail(cluster.member(1).dataDir);
    const walBefore = readdirSync(join(cluster.member(1).dataDir, 'log')).sort();
    cluster.startMember(1);
    await waitFor('the member to exit', async () => (cluster.isRunning(1) ? undefined : true));
    expect(cluster.exitCode(1)).toBe(1);
    const log = readFileSync(cluster.member(1).logFile, 'utf8');
    expect(log).toMatch(/damage found at start: log-dropped-records/);
    expect(log).toMatch(/cannot be repaired safely: it is the only voter of its cluster/);
    expect(log).toMatch(/restore from a backup/i);
    // Nothing was wiped: the evidence stays for the operator.
    expect(existsSync(join(cluster.member(1).dataDir, 'repair.json'))).toBe(false);
    expect(readdirSync(join(cluster.member(1).dataDir, 'log')).length).toBeGreaterThanOrEqual(walBefore.length - 2);
    expect(existsSync(join(cluster.member(1).dataDir, 'kv'))).toBe(true);
  }, 120_000);
});
