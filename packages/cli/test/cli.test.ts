import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClientOptions, CompareFailedError, compare, type HoldfastClient, KeyValue, op, type StatusResult } from '@holdfast/client';
import { encodeCommand, KvStateMachine } from '@holdfast/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { type CliIo, parseTxnFlags, parseTxnJson, resolveEndpoints, runCli, splitWords, statusRows } from '../src/index.js';

interface Recorded {
  method: string;
  args: unknown[];
}

/** A stand-in for the SDK client: records calls and answers from a script. */
function fakeClient(recorded: Recorded[], answers: Record<string, (...args: unknown[]) => unknown>): HoldfastClient {
  const handler: ProxyHandler<object> = {
    get(_target, property: string) {
      if (property === 'close') return () => recorded.push({ method: 'close', args: [] });
      if (property === 'members') {
        return new Proxy({}, { get: (_t, name: string) => call(`members.${name}`) });
      }
      return call(property);
    },
  };
  const call =
    (method: string) =>
    async (...args: unknown[]) => {
      recorded.push({ method, args });
      const answer = answers[method];
      if (answer === undefined) throw new Error(`unscripted call ${method}`);
      return answer(...args);
    };
  return new Proxy({}, handler) as HoldfastClient;
}

interface Run {
  code: number;
  out: string;
  err: string;
  calls: Recorded[];
  clientOptions: ClientOptions[];
}

async function run(
  argv: string[],
  answers: Record<string, (...args: unknown[]) => unknown> = {},
  overrides: Partial<CliIo> = {},
): Promise<Run> {
  const result: Run = { code: -1, out: '', err: '', calls: [], clientOptions: [] };
  const io: CliIo = {
    writeOut: (text) => {
      result.out += text;
    },
    writeErr: (text) => {
      result.err += text;
    },
    readStdin: async () => '',
    env: { HOLDFAST_ENDPOINTS: '127.0.0.1:7001' },
    cwd: '/nonexistent-holdfast-test-dir',
    createClient: (options) => {
      result.clientOptions.push(options);
      return fakeClient(result.calls, answers);
    },
    waitForStopSignal: async () => 'SIGINT',
    ...overrides,
  };
  result.code = await runCli(argv, io);
  return result;
}

const kv = (key: string, value: string, modRevision = 3) =>
  new KeyValue({ key: Buffer.from(key), value: Buffer.from(value), createRevision: 1, modRevision, version: 2, lease: 0 });
const header = { clusterId: 'c', memberId: 1, term: 2, revision: 9 };

describe('put, get, del', () => {
  it('passes put guards to the client and prints the revision', async () => {
    const result = await run(['put', 'k', 'v', '--if-mod-revision', '5', '--if-absent'], {
      put: () => ({ header, revision: 10, prevKv: undefined }),
    });
    expect(result.code).toBe(0);
    expect(result.calls[0]).toEqual({ method: 'put', args: ['k', 'v', { ifAbsent: true, prevKv: false, ifModRevision: 5 }] });
    expect(result.out).toBe('OK revision 10\n');
    expect(result.calls.at(-1)?.method).toBe('close');
  });

  it('prints the value of get, and JSON with --json', async () => {
    const answers = { get: () => kv('k', 'hello') };
    expect((await run(['get', 'k'], answers)).out).toBe('hello\n');
    const json = await run(['get', 'k', '--json', '--serializable'], answers);
    expect(JSON.parse(json.out)).toEqual({ found: true, key: 'k', value: 'hello', createRevision: 1, modRevision: 3, version: 2 });
    expect(json.calls[0]?.args).toEqual(['k', { consistency: 'serializable' }]);
  });

  it('exits with status 1 when get finds no key', async () => {
    const result = await run(['get', 'missing'], { get: () => undefined });
    expect(result.code).toBe(1);
    expect(result.out).toBe('');
    expect(result.err).toBe("KeyNotFoundError: key 'missing' does not exist\n");
  });

  it('names the error class and exits non-zero when the cluster refuses', async () => {
    const result = await run(['put', 'k', 'v', '--if-absent'], {
      put: () => {
        throw new CompareFailedError('key exists', { code: 'compare-failed' });
      },
    });
    expect(result.code).toBe(1);
    expect(result.err).toBe('CompareFailedError: key exists\n');
  });

  it('reports errors as JSON on stderr with --json', async () => {
    const result = await run(['--json', 'del', 'k'], {
      delete: () => {
        throw new CompareFailedError('revision moved', { code: 'compare-failed' });
      },
    });
    expect(result.code).toBe(1);
    expect(JSON.parse(result.err)).toEqual({ error: { name: 'CompareFailedError', code: 'compare-failed', message: 'revision moved' } });
  });

  it('refuses a malformed number with a usage error and calls nothing', async () => {
    const result = await run(['put', 'k', 'v', '--if-mod-revision', 'five']);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/UsageError: expected a non-negative integer, got 'five'/);
    expect(result.calls).toEqual([]);
  });

  it('passes --max-staleness-ms to the read', async () => {
    const result = await run(['get', 'k', '--max-staleness-ms', '500'], { get: () => kv('k', 'v') });
    expect(result.code).toBe(0);
    expect(result.calls[0]).toEqual({ method: 'get', args: ['k', { consistency: 'linearizable', maxStalenessMs: 500 }] });
  });

  it('passes --deadline-ms and --endpoints to the client', async () => {
    const result = await run(['--endpoints', 'a:1, b:2', '--deadline-ms', '250', 'del', 'k'], {
      delete: () => ({ header, deleted: true, revision: 4, prevKv: undefined }),
    });
    expect(result.out).toBe('deleted (revision 4)\n');
    expect(result.clientOptions[0]).toMatchObject({ endpoints: ['a:1', 'b:2'], deadlineMs: 250 });
  });

  it('reads the TLS files into the client options, and refuses half an identity or a missing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'holdfast-cli-tls-'));
    try {
      for (const name of ['ca.pem', 'c.pem', 'k.pem']) writeFileSync(join(dir, name), `-----BEGIN ${name}-----\n`);
      const answers = { get: () => undefined };
      const caOnly = await run(['--tls-ca-file', join(dir, 'ca.pem'), 'get', 'k'], answers);
      expect(caOnly.clientOptions[0]?.tls?.ca.toString()).toBe('-----BEGIN ca.pem-----\n');
      expect(caOnly.clientOptions[0]?.tls?.cert).toBeUndefined();
      const full = await run(
        ['--tls-ca-file', join(dir, 'ca.pem'), '--tls-cert-file', join(dir, 'c.pem'), '--tls-key-file', join(dir, 'k.pem'), 'get', 'k'],
        answers,
      );
      expect(full.clientOptions[0]?.tls?.key?.toString()).toBe('-----BEGIN k.pem-----\n');
      for (const argv of [
        ['--tls-cert-file', join(dir, 'c.pem'), '--tls-key-file', join(dir, 'k.pem')],
        ['--tls-ca-file', join(dir, 'ca.pem'), '--tls-cert-file', join(dir, 'c.pem')],
        ['--tls-ca-file', join(dir, 'missing.pem')],
      ]) {
        const refused = await run([...argv, 'get', 'k'], answers);
        expect(refused.code).toBe(2);
        expect(refused.err).toMatch(/UsageError: .*--tls-/);
        expect(refused.calls).toEqual([]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('range', () => {
  it('prints key and value per line and says when more keys remain', async () => {
    const result = await run(['range', '--prefix', 'a', '--limit', '2'], {
      range: () => ({ header, kvs: [kv('a1', 'x'), kv('a2', 'y')], more: true, continuation: Buffer.from('a2') }),
    });
    expect(result.out).toBe('a1\tx\na2\ty\n');
    expect(result.err).toMatch(/more keys in range/);
    expect(result.calls[0]?.args).toEqual([{ prefix: 'a' }, { keysOnly: false, consistency: 'linearizable', limit: 2 }]);
  });

  it('refuses --prefix together with --start', async () => {
    const result = await run(['range', '--prefix', 'a', '--start', 'b']);
    expect(result.code).toBe(2);
    expect(result.calls).toEqual([]);
  });
});

describe('txn syntax', () => {
  it('parses --if/--then/--else into compares and operations', () => {
    const request = parseTxnFlags({
      compares: ['k mod_revision = 5', "name value != 'a b'"],
      successOps: ['put k "two words"', 'get k'],
      failureOps: ['del k'],
    });
    expect(request).toEqual({
      compare: [compare.modRevision('k', '=', 5), compare.value('name', '!=', 'a b')],
      success: [op.put('k', 'two words'), op.get('k')],
      failure: [op.delete('k')],
    });
  });

  it('parses JSON with strings or objects', () => {
    const request = parseTxnJson(
      '{"if": [{"key": "k", "target": "version", "op": ">", "arg": 0}], "then": ["put k v"], "else": [{"op": "get", "key": "k"}]}',
    );
    expect(request).toEqual({
      compare: [compare.version('k', '>', 0)],
      success: [op.put('k', 'v')],
      failure: [op.get('k')],
    });
  });

  it('rejects an unknown target, operator or operation', () => {
    expect(() => parseTxnFlags({ compares: ['k size = 1'] })).toThrow(/unknown compare target 'size'/);
    expect(() => parseTxnFlags({ compares: ['k version ~ 1'] })).toThrow(/unknown compare operator/);
    expect(() => parseTxnFlags({ successOps: ['move k v'] })).toThrow(/an operation is/);
    expect(() => parseTxnFlags({ compares: ['k version = -1'] })).toThrow(/non-negative integer/);
  });

  it('splits words keeping quoted ones whole', () => {
    expect(splitWords(`put "a b" 'c d' e`)).toEqual(['put', 'a b', 'c d', 'e']);
  });

  it('runs a transaction from stdin and prints the branch taken', async () => {
    const input = '{"if": ["k value = a"], "then": ["put k b"], "else": ["get k"]}';
    const result = await run(
      ['txn', '--stdin'],
      { txn: () => ({ header, succeeded: false, revision: 7, results: [{ type: 'get', header, kv: kv('k', 'z') }] }) },
      { readStdin: async () => input },
    );
    expect(result.code).toBe(0);
    expect(result.out).toBe('FAILED (else branch ran) at revision 7\nget: k = z\n');
    expect(result.calls[0]?.args[0]).toEqual({
      compare: [compare.value('k', '=', 'a')],
      success: [op.put('k', 'b')],
      failure: [op.get('k')],
    });
  });
});

describe('status', () => {
  const status: StatusResult = {
    header,
    leaderId: 1,
    placement: { leaderRegions: ['us-east'], survive: 'member' },
    survivesRegionLoss: false,
    layout: 'us-east 3',
    warnings: [],
    members: [
      {
        id: 1,
        name: 'node-1',
        region: 'eu',
        clientAddress: 'a',
        peerAddress: 'p',
        learner: false,
        role: 'leader',
        term: 4,
        leaderId: 1,
        commitIndex: 20,
        appliedIndex: 20,
        followers: [
          { id: 2, matchIndex: 19, nextIndex: 20, state: 'replicate' },
          { id: 3, matchIndex: 0, nextIndex: 1, state: 'probe' },
        ],
        error: '',
        storeBytes: 1536,
        storeBytesMax: 8 * 1024 ** 3,
        applyVersionMax: 2,
        clusterVersion: 2,
        alarms: [],
        readsRefused: false,
        repairing: false,
        repairReason: '',
        lastRepair: '',
        peerRtts: [],
        electionTimeoutMs: 400,
        electionSpreadMs: 400,
        readMode: 'read-index',
        leaseRemainingMs: 0,
        keyCount: 0,
        compactRevision: 0,
        historyBytes: 0,
      },
      {
        id: 2,
        name: 'node-2',
        region: 'us',
        clientAddress: 'b',
        peerAddress: 'q',
        learner: false,
        role: 'follower',
        term: 4,
        leaderId: 1,
        commitIndex: 19,
        appliedIndex: 18,
        followers: [],
        error: '',
        storeBytes: 1000,
        storeBytesMax: 100 * 1024 ** 2,
        applyVersionMax: 3,
        clusterVersion: 2,
        alarms: [],
        readsRefused: false,
        repairing: false,
        repairReason: '',
        lastRepair: '',
        peerRtts: [],
        electionTimeoutMs: 400,
        electionSpreadMs: 400,
        readMode: 'read-index',
        leaseRemainingMs: 0,
        keyCount: 0,
        compactRevision: 0,
        historyBytes: 0,
      },
      {
        id: 3,
        name: 'node-3',
        region: 'ap',
        clientAddress: 'c',
        peerAddress: 'r',
        learner: false,
        role: 'unreachable',
        term: 0,
        leaderId: 0,
        commitIndex: 0,
        appliedIndex: 0,
        followers: [],
        error: 'connection refused',
        storeBytes: 0,
        storeBytesMax: 0,
        applyVersionMax: 0,
        clusterVersion: 0,
        alarms: [],
        readsRefused: false,
        repairing: false,
        repairReason: '',
        lastRepair: '',
        peerRtts: [],
        electionTimeoutMs: 400,
        electionSpreadMs: 400,
        readMode: 'read-index',
        leaseRemainingMs: 0,
        keyCount: 0,
        compactRevision: 0,
        historyBytes: 0,
      },
    ],
  };

  it("shows each follower's match index from the leader's progress", () => {
    expect(statusRows(status)).toEqual([
      ['1', 'node-1', 'eu', 'leader', '4', '1', '20', '20', '-', '1.5 KiB / 8 GiB', '2'],
      ['2', 'node-2', 'us', 'follower', '4', '1', '19', '18', '19', '1000 B / 100 MiB', '2 (up to 3)'],
      ['3', 'node-3', 'ap', 'unreachable', '-', '-', '-', '-', '0', '-', '-'],
    ]);
  });

  it('prints an aligned table with the leader and unreachable members', async () => {
    const result = await run(['status'], { status: () => status });
    expect(result.out.split('\n').slice(0, 2)).toEqual([
      'ID  NAME    REGION  ROLE         TERM  LEADER  COMMIT  APPLIED  MATCH  STORE             VERSION',
      '1   node-1  eu      leader       4     1       20      20       -      1.5 KiB / 8 GiB   2',
    ]);
    expect(result.out).toMatch(/leader: 1\nmember 3: connection refused/);
    expect(result.out).toMatch(/layout: us-east 3 \(does NOT survive the loss of every region\)\nplacement: leader regions us-east; survive member/);
  });

  it('prints the round-trip time matrix with --rtt', async () => {
    const measured: StatusResult = {
      ...status,
      members: status.members.map((member) =>
        member.id === 1 ? { ...member, peerRtts: [{ peerId: 2, rttMs: 61.24, rttMaxMs: 70, samples: 9 }] } : member,
      ),
    };
    const result = await run(['status', '--rtt'], { status: () => measured });
    expect(result.out).toMatch(/1 eu\s+\.\s+61\.2 \(max 70\.0\)\s+-/);
    // The range each member draws its timeout from; a member of a release without the spread shows its minimum.
    expect(result.out).toMatch(/election timeout 400-800 ms/);
    const older = await run(['status', '--rtt'], { status: () => ({ ...measured, members: measured.members.map((m) => ({ ...m, electionSpreadMs: 0 })) }) });
    expect(older.out).toMatch(/election timeout 400 ms/);
  });

  it('prints the alarms of a member whose state is damaged', async () => {
    const alarmed: StatusResult = {
      ...status,
      members: status.members.map((member) =>
        member.id === 2 ? { ...member, readsRefused: true, alarms: ['2026-01-01T00:00:00.000Z state damaged (get): key "a" checksum'] } : member,
      ),
    };
    const result = await run(['status'], { status: () => alarmed });
    expect(result.out).toMatch(/ALARM member 2: refuses reads until repaired\nALARM member 2: 2026-01-01T00:00:00.000Z state damaged \(get\): key "a" checksum/);
  });

  it('says which member repairs itself from the others, and why', async () => {
    const repairing: StatusResult = {
      ...status,
      members: status.members.map((member) => (member.id === 2 ? { ...member, repairing: true, repairReason: 'log-dropped-records: LevelDB dropped 228 bytes' } : member)),
    };
    const result = await run(['status'], { status: () => repairing });
    expect(result.out).toMatch(/REPAIR member 2: repairing from the others, not voting \(log-dropped-records: LevelDB dropped 228 bytes\)/);
  });

  it('shows the last repair a member finished', async () => {
    const repaired: StatusResult = {
      ...status,
      members: status.members.map((member) =>
        member.id === 3 ? { ...member, lastRepair: '2026-01-01T00:00:00.000Z state-damaged: in the minority of a state hash comparison (took 812 ms)' } : member,
      ),
    };
    const result = await run(['status'], { status: () => repaired });
    expect(result.out).toMatch(/REPAIRED member 3: 2026-01-01T00:00:00.000Z state-damaged: in the minority of a state hash comparison \(took 812 ms\)/);
    expect(result.out).not.toMatch(/ALARM/);
  });
});

describe('cluster commands', () => {
  it('transfers leadership to the member asked for', async () => {
    const result = await run(['leader', 'transfer', '--to', '2'], { transferLeadership: () => ({ leaderId: 2 }) });
    expect(result.calls[0]).toEqual({ method: 'transferLeadership', args: [2] });
    expect(result.out).toBe('leader is now member 2\n');
  });

  it('adds a learner with its addresses and prints the members', async () => {
    const member = { id: 4, name: 'n4', region: 'eu', clientAddress: 'c:1', peerAddress: 'p:1', learner: true };
    const result = await run(
      ['members', 'add', 'n4', '--client-address', 'c:1', '--peer-address', 'p:1', '--region', 'eu'],
      { 'members.addLearner': () => ({ member, members: [member] }) },
    );
    expect(result.calls[0]).toEqual({
      method: 'members.addLearner',
      args: [{ name: 'n4', clientAddress: 'c:1', peerAddress: 'p:1', region: 'eu' }],
    });
    expect(result.out.split('\n')).toEqual([
      'added learner 4',
      '',
      'ID  NAME  REGION  KIND     CLIENT ADDRESS  PEER ADDRESS',
      '4   n4    eu      learner  c:1             p:1',
      '',
    ]);
  });

  it('refuses a member id that is not a positive integer', async () => {
    const result = await run(['members', 'remove', '0']);
    expect(result.code).toBe(2);
    expect(result.calls).toEqual([]);
  });
});

describe('backup save', () => {
  it('writes the chunks to FILE through FILE.partial, and refuses to replace a file without --force', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'holdfast-cli-backup-'));
    try {
      async function* chunks(): AsyncGenerator<Uint8Array> {
        yield Buffer.from('one-');
        yield Buffer.from('two');
      }
      const answers = { backup: () => ({ revision: 42, memberId: 2, chunks: chunks() }) };
      const saved = await run(['backup', 'save', 'store.backup'], answers, { cwd: dir });
      expect(saved.code).toBe(0);
      expect(saved.out).toMatch(/saved a backup at revision 42 from member 2: 7 bytes in 2 chunks/);
      expect(readFileSync(join(dir, 'store.backup'), 'utf8')).toBe('one-two');
      expect(existsSync(join(dir, 'store.backup.partial'))).toBe(false);

      const refused = await run(['backup', 'save', 'store.backup'], answers, { cwd: dir });
      expect(refused.code).toBe(2);
      expect(refused.err).toMatch(/exists; pass --force/);
      expect(refused.calls).toEqual([]);

      async function* broken(): AsyncGenerator<Uint8Array> {
        yield Buffer.from('half');
        throw new Error('stream broke');
      }
      const failed = await run(['backup', 'save', 'other.backup'], { backup: () => ({ revision: 1, memberId: 1, chunks: broken() }) }, { cwd: dir });
      expect(failed.code).toBe(1);
      expect(existsSync(join(dir, 'other.backup'))).toBe(false);
      expect(existsSync(join(dir, 'other.backup.partial'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('backup info', () => {
  it('describes a complete backup and refuses a damaged one with exit status 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'holdfast-cli-backup-info-'));
    try {
      const sm = await KvStateMachine.open({ dir: join(dir, 'kv') });
      await sm.apply([
        { type: 'normal', index: 1, term: 1, data: encodeCommand({ operation: { type: 'put', key: Buffer.from('k'), value: Buffer.from('v') }, proposedAtMs: 1 }) },
      ]);
      const reader = await sm.openSnapshotReader();
      const parts: Uint8Array[] = [];
      for await (const chunk of reader.chunks()) parts.push(chunk);
      await reader.close();
      await sm.close();
      writeFileSync(join(dir, 'ok.backup'), Buffer.concat(parts));
      writeFileSync(join(dir, 'bad.backup'), Buffer.concat(parts).subarray(0, 20));
      const ok = await run(['backup', 'info', 'ok.backup'], {}, { cwd: dir });
      expect(ok.code).toBe(0);
      expect(ok.out).toMatch(/ok\.backup: a complete backup\nrevision 1, 1 key \(2 bytes of keys and values\), 2 records/);
      expect(ok.calls).toEqual([]);
      const bad = await run(['backup', 'info', 'bad.backup'], {}, { cwd: dir });
      expect(bad.code).toBe(1);
      expect(bad.err).toMatch(/SnapshotInvalidError: backup .*bad\.backup ends inside the chunk/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('endpoints', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('takes --endpoints, then HOLDFAST_ENDPOINTS, then cluster.json, then the defaults', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'holdfast-cli-'));
    dirs.push(cwd);
    const env = { HOLDFAST_ENDPOINTS: 'e:1,e:2' };
    expect(resolveEndpoints({ flag: 'f:1', env, cwd }).endpoints).toEqual(['f:1']);
    expect(resolveEndpoints({ flag: undefined, env, cwd }).endpoints).toEqual(['e:1', 'e:2']);
    expect(resolveEndpoints({ flag: undefined, env: {}, cwd }).source).toBe('defaults');
    mkdirSync(join(cwd, '.data', 'cluster'), { recursive: true });
    const members = [
      { id: 1, clientAddress: '127.0.0.1:5001', removed: false },
      { id: 2, clientAddress: '127.0.0.1:5002', removed: true },
    ];
    writeFileSync(join(cwd, '.data', 'cluster', 'cluster.json'), JSON.stringify({ clusterId: 'x', members }));
    expect(resolveEndpoints({ flag: undefined, env: {}, cwd }).endpoints).toEqual(['127.0.0.1:5001']);
    // From a directory below, as git finds its repository.
    const below = join(cwd, 'src', 'deeper');
    mkdirSync(below, { recursive: true });
    expect(resolveEndpoints({ flag: undefined, env: {}, cwd: below })).toEqual({
      endpoints: ['127.0.0.1:5001'],
      source: join(cwd, '.data', 'cluster', 'cluster.json'),
      fromUser: false,
    });
  });

  it('says on one stderr line which endpoints it uses when the user did not name them', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'holdfast-cli-'));
    dirs.push(cwd);
    const answers = { get: () => kv('k', 'v') };
    const defaults = await run(['get', 'k'], answers, { env: {}, cwd });
    expect(defaults.err).toBe(
      'holdfast: using 127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003 (no --endpoints, no HOLDFAST_ENDPOINTS, no .data/cluster/cluster.json here or above)\n',
    );
    expect(defaults.out).toBe('v\n');
    mkdirSync(join(cwd, '.data', 'cluster'), { recursive: true });
    writeFileSync(join(cwd, '.data', 'cluster', 'cluster.json'), JSON.stringify({ members: [{ clientAddress: '127.0.0.1:5001' }] }));
    const fromFile = await run(['get', 'k'], answers, { env: {}, cwd });
    expect(fromFile.err).toBe(`holdfast: using 127.0.0.1:5001 from ${join('.data', 'cluster', 'cluster.json')}\n`);
    expect(fromFile.clientOptions[0]).toMatchObject({ endpoints: ['127.0.0.1:5001'], waitForMembers: false });
    // Named by the user: nothing to say.
    expect((await run(['get', 'k'], answers, { env: { HOLDFAST_ENDPOINTS: 'e:1' }, cwd })).err).toBe('');
    expect((await run(['--endpoints', 'f:1', 'get', 'k'], answers, { env: {}, cwd })).err).toBe('');
  });
});

describe('usage', () => {
  it('prints help and exits 0', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/Usage: holdfast/);
  });

  it('exits 2 on an unknown command', async () => {
    const result = await run(['frobnicate']);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/unknown command 'frobnicate'/);
  });
});

describe('watch', () => {
  /** A client whose watch() tells the given batches, then waits until closed. */
  function watchingClient(batches: { type: 'put' | 'delete'; key: string; value: string; revision: number }[][], seen: unknown[]) {
    return {
      watch: (selector: unknown, options: unknown) => {
        seen.push(selector, options);
        let closed = false;
        return {
          close: () => {
            closed = true;
          },
          async *[Symbol.asyncIterator]() {
            for (const batch of batches) {
              if (closed) return;
              yield { revision: batch.at(-1)?.revision ?? 0, events: batch.map((e) => ({ type: e.type, kv: kv(e.key, e.value, e.revision) })) };
            }
          },
        };
      },
      close: () => {},
    } as unknown as HoldfastClient;
  }

  it('prints each change as it comes and stops after --count changes', async () => {
    const seen: unknown[] = [];
    const client = watchingClient(
      [
        [{ type: 'put', key: 'job/1', value: 'a', revision: 7 }],
        [
          { type: 'put', key: 'job/2', value: 'b', revision: 8 },
          { type: 'delete', key: 'job/1', value: '', revision: 8 },
        ],
        [{ type: 'put', key: 'job/3', value: 'never', revision: 9 }],
      ],
      seen,
    );
    const result = await run(['watch', '--prefix', 'job/', '--rev', '7', '--count', '3'], {}, { createClient: () => client, waitForStopSignal: () => new Promise(() => {}) });
    expect(result.code).toBe(0);
    expect(seen).toEqual([{ prefix: 'job/' }, { startRevision: 7, onListening: expect.any(Function) }]);
    expect(result.out).toBe('put job/1 = a  (revision 7)\nput job/2 = b  (revision 8)\ndelete job/1  (revision 8)\n');
  });

  it('prints one JSON line per change with --json, and refuses a selector that mixes --prefix and --start', async () => {
    const client = watchingClient([[{ type: 'put', key: 'k', value: 'v', revision: 3 }]], []);
    const json = await run(['--json', 'watch', '--start', 'k', '--count', '1'], {}, { createClient: () => client, waitForStopSignal: () => new Promise(() => {}) });
    expect(JSON.parse(json.out)).toEqual({ type: 'put', key: 'k', value: 'v', revision: 3, createRevision: 1, version: 2 });
    const refused = await run(['watch', '--prefix', 'a', '--start', 'b']);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toMatch(/either --prefix or --start/);
  });
});
