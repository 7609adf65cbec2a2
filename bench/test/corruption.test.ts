import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Prng } from '@holdfast/raft';
import { Level } from 'level';
import { afterAll, describe, expect, it } from 'vitest';
import { auditMember, flipOneCharacter, writtenKeys } from '../src/audit.js';
import { CorruptionNemesis, damageLines, stopReason, whatIsWrong } from '../src/corruption.js';
import { BenchHistory, MonotonicClock } from '../src/history.js';
import type { ClusterTarget, MemberHealth, MemberReader } from '../src/target.js';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-corruption-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const healthy: MemberHealth = { role: 'follower', leaderId: 1, commitIndex: 100, appliedIndex: 100, alarms: [], repairing: false, repairReason: '', error: '' };

/**
 * A member that behaves as `script` says: after the restart it stays `running` (or stops and logs
 * `logLine`), and its status answers `health`. Its data dir has a log database with a few records.
 */
interface Script {
  running: boolean;
  health: MemberHealth;
  logLine?: string;
}

async function fakeTarget(name: string, script: Script): Promise<{ target: ClusterTarget; replaced: string[] }> {
  const dataDir = path.join(root, name);
  const db = new Level<string, string>(path.join(dataDir, 'log'));
  for (let i = 0; i < 10; i += 1) await db.put(`e/${i}`, 'x'.repeat(100), { sync: true });
  await db.close();
  const logFile = path.join(root, `${name}.log`);
  fs.writeFileSync(logFile, `${JSON.stringify({ level: 50, msg: 'an error before the damage' })}\n`);
  let started = true;
  const replaced: string[] = [];
  const unsupported = async (): Promise<never> => {
    throw new Error('not in the fake');
  };
  const target: ClusterTarget = {
    kind: 'holdfast',
    capabilities: { diskFaults: false, membership: true, transferLeadership: false, diskCorruption: true },
    nodeIds: () => ['n1', 'n2', 'n3'],
    logsDir: () => root,
    start: async () => {},
    stop: async () => {},
    createKv: () => {
      throw new Error('not in the fake');
    },
    classifyError: () => 'unknown',
    findLeader: async () => 'n1',
    isRunning: (id) => id !== 'n2' || (started && script.running),
    kill: async () => {
      started = false;
    },
    restart: async () => {
      started = true;
      if (script.logLine !== undefined) fs.appendFileSync(logFile, `${script.logLine}\n`);
    },
    pause: unsupported,
    resume: unsupported,
    waitForExit: async () => true,
    wipeAndRejoin: async (id) => {
      replaced.push(id);
    },
    removeMember: unsupported,
    addMember: unsupported,
    transferLeadership: unsupported,
    dataDirOf: () => dataDir,
    logFileOf: () => logFile,
    memberHealth: async (id) => (id === 'n2' ? script.health : healthy),
  };
  return { target, replaced };
}

async function damageAndSettle(name: string, script: Script): Promise<{
  met: boolean;
  outcome: string | undefined;
  detail: string;
  replaced: string[];
  blockedBy: string | undefined;
}> {
  const { target, replaced } = await fakeTarget(name, script);
  const nemesis = new CorruptionNemesis({
    target,
    clock: new MonotonicClock(),
    repairTimeoutMs: 1200,
    audit: async (member) => ({ ok: true, keysRead: 3, detail: `3 keys read through ${member}` }),
  });
  const injected = await nemesis.inject({ kind: 'corrupt-log-tail', member: 'n2', prng: Prng.fromText(name) });
  const met = await injected.settle();
  return { met, outcome: injected.report.outcome, detail: injected.report.outcomeDetail ?? '', replaced, blockedBy: nemesis.blockedBy() };
}

describe('how a damaged member ended', () => {
  it('repaired: caught up, no alarm, and an audit read through it worked', async () => {
    const result = await damageAndSettle('repaired', { running: true, health: healthy });
    expect(result).toMatchObject({ met: true, outcome: 'repaired', replaced: [], blockedBy: undefined });
    expect(result.detail).toMatch(/3 keys read through n2/);
  });

  it('stuck: still behind the commit index, or alarming, when the repair time runs out', async () => {
    const behind = await damageAndSettle('behind', { running: true, health: { ...healthy, appliedIndex: 40 } });
    // A stuck member stays damaged: no other member is damaged after it.
    expect(behind).toMatchObject({ met: false, outcome: 'stuck', blockedBy: 'n2 is still damaged (neither repaired nor stopped)' });
    expect(behind.detail).toMatch(/applied 40 < the cluster's commit 100/);
    const alarming = await damageAndSettle('alarming', { running: true, health: { ...healthy, alarms: ['state-corrupt'] } });
    expect(alarming).toMatchObject({ met: false, outcome: 'stuck' });
    expect(alarming.detail).toMatch(/state-corrupt/);
  });

  it('stopped judging repair unsafe: a finding, and the member is replaced', async () => {
    const line = JSON.stringify({ level: 60, msg: 'cannot repair safely: no quorum holds entries 90..100', code: 'repair-unsafe' });
    const result = await damageAndSettle('unsafe', { running: false, health: healthy, logLine: line });
    expect(result).toMatchObject({ met: true, outcome: 'stopped-unsafe', replaced: ['n2'], blockedBy: undefined });
    expect(result.detail).toMatch(/no quorum holds/);
  });

  it('stopped for another reason, or none: a failure (the error logged before the damage does not count)', async () => {
    const crash = await damageAndSettle('crash', { running: false, health: healthy, logLine: 'holdfast: failed to start: TypeError: x is undefined' });
    expect(crash).toMatchObject({ met: false, outcome: 'stopped', replaced: ['n2'] });
    expect(crash.detail).toMatch(/TypeError/);
    const silent = await damageAndSettle('silent', { running: false, health: healthy });
    expect(silent).toMatchObject({ met: false, outcome: 'stopped', detail: 'stopped without a reason in its log' });
  });
});

describe('status and log reading', () => {
  it('names what keeps a member from counting as repaired', () => {
    expect(whatIsWrong(healthy, 100)).toBeUndefined();
    expect(whatIsWrong({ ...healthy, repairing: true }, 100)).toBe('repairing');
    expect(whatIsWrong({ ...healthy, leaderId: 0 }, 100)).toBe('knows no leader');
  });

  it('takes the last fatal or error line after the offset as the reason', () => {
    const file = path.join(root, 'reason.log');
    const lines = [
      { level: 60, msg: 'old' },
      { level: 30, msg: 'started' },
      { level: 60, msg: 'fatal error; exiting', code: 'INVARIANT', error: 'applied past the log' },
      { level: 30, msg: 'after' },
    ];
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
    const offset = JSON.stringify(lines[0]).length + 1;
    expect(stopReason(file, offset)).toBe('fatal error; exiting: INVARIANT: applied past the log');
    expect(stopReason(file, fs.statSync(file).size)).toBeUndefined();
  });
});

describe('what the member said about the damage', () => {
  it('keeps its warnings and errors about damage and repair since the restart', () => {
    const file = path.join(root, 'said.log');
    const lines = [
      { level: 50, msg: 'damage found at start', kind: 'old' },
      { level: 50, msg: 'damage found at start: applied-past-log-end', kind: 'applied-past-log-end' },
      { level: 30, msg: 'repair finished' },
      { level: 40, msg: 'peer unreachable' },
      { level: 40, msg: 'repair finished: this member holds what it had lost and votes again' },
    ];
    fs.writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n'));
    const offset = JSON.stringify(lines[0]).length + 1;
    expect(damageLines(file, offset)).toEqual([
      'damage found at start: applied-past-log-end: applied-past-log-end',
      'repair finished: this member holds what it had lost and votes again',
    ]);
  });
});

describe('member audit', () => {
  function reader(pages: { key: string; value: string }[][]): MemberReader {
    let next = 0;
    return {
      page: async () => {
        const kvs = pages[next] ?? [];
        next += 1;
        return { kvs, more: next < pages.length };
      },
      close: () => {},
    };
  }

  it('records a get per written key: the value the member served, or absent', async () => {
    const history = new BenchHistory({ clock: new MonotonicClock(), operationsMax: 1000 });
    for (const key of ['a', 'b', 'c']) {
      const put = history.invoke({ clientId: 1, key, input: { kind: 'put', value: `${key}1` } });
      history.complete(put, { outcome: 'ok', output: { kind: 'put' } });
    }
    const target = { kind: 'holdfast', memberReader: () => reader([[{ key: 'a', value: 'a1' }], [{ key: 'b', value: 'b1' }, { key: 'x', value: 'not ours' }]]) };
    const summary = await auditMember({ target: target as unknown as ClusterTarget, history, member: 'n2', occasion: 'test', deadlineMs: 1000 });
    expect(summary).toMatchObject({ ok: true, keysRead: 2 });
    const reads = history.all().filter((o) => o.clientId === -100);
    expect(reads.map((o) => [o.key, o.output])).toEqual([
      ['a', { kind: 'get', value: 'a1' }],
      ['b', { kind: 'get', value: 'b1' }],
      ['c', { kind: 'get', value: null }],
    ]);
    expect(new Set(reads.map((o) => o.servedBy))).toEqual(new Set(['n2, test']));
    expect(writtenKeys(history.all())).toEqual(new Set(['a', 'b', 'c']));
  });

  it('a planted corrupt value is recorded as served and marked planted', async () => {
    const history = new BenchHistory({ clock: new MonotonicClock(), operationsMax: 1000 });
    const put = history.invoke({ clientId: 1, key: 'a', input: { kind: 'put', value: 'abc' } });
    history.complete(put, { outcome: 'ok', output: { kind: 'put' } });
    const target = { kind: 'holdfast', memberReader: () => reader([[{ key: 'a', value: 'abc' }]]) };
    let planted = 0;
    await auditMember({
      target: target as unknown as ClusterTarget,
      history,
      member: 'n1',
      occasion: 'test',
      deadlineMs: 1000,
      plantCorruptValue: () => true,
      onPlanted: () => {
        planted += 1;
      },
    });
    const read = history.all().at(-1);
    expect(read?.output).toEqual({ kind: 'get', value: flipOneCharacter('abc') });
    expect(flipOneCharacter('abc')).not.toBe('abc');
    expect(read?.planted).toBe(true);
    expect(planted).toBe(1);
  });
});
