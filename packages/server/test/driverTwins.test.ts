import { type Entry, MemoryLogStorage, newMessage, Prng, RaftNode, type Ready } from '@holdfast/raft';
import type { ApplyHooks, ApplyResult, LogSave } from '@holdfast/storage';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { parseNodeConfig } from '../src/config.js';
import { NodeDriver } from '../src/driver.js';
import { ManualTime, MemoryDurableLog, MemoryStateMachine } from '../src/driver/twins.js';
import { TimeoutError } from '../src/errors.js';
import { NodeMetrics } from '../src/metrics.js';

/** One member on the in-memory twins of every port: the loop runs on simulated time alone. */
function singleMember(options: { log?: (storage: MemoryLogStorage) => MemoryDurableLog; voters?: number[]; stateMachine?: MemoryStateMachine } = {}) {
  const config = parseNodeConfig(['--id', '1', '--data-dir', '/nonexistent', '--log-level', 'silent'], {});
  const storage = MemoryLogStorage.bootstrap(options.voters ?? [1]);
  const random = new Prng(7);
  const core = new RaftNode({
    id: 1,
    storage,
    random: () => random.next(),
    electionTicks: 10,
    heartbeatTicks: 1,
    applied: 0,
    preVote: true,
    checkQuorum: true,
    messageBytesMax: config.limits.messageBytesMax,
    inflightMessagesMax: config.limits.inflightMessagesMax,
    inflightBytesMax: config.limits.inflightBytesMax,
    uncommittedBytesMax: config.limits.uncommittedBytesMax,
    pendingReadsMax: config.limits.pendingReadsMax,
  });
  const time = new ManualTime();
  const sm = options.stateMachine ?? new MemoryStateMachine();
  const fatal: unknown[] = [];
  const driver = new NodeDriver({
    selfId: 1,
    core,
    log: options.log?.(storage) ?? new MemoryDurableLog(storage),
    stateMachine: sm,
    limits: config.limits,
    failpoints: config.failpoints,
    metrics: new NodeMetrics(),
    logger: pino({ level: 'silent' }),
    clock: time,
    timers: time,
    random: () => random.next(),
    onFatal: (error) => fatal.push(error),
    readRoundTimeoutTicks: 10,
    campaignHoldTicks: 10,
  });
  /** Runs the loop until it has nothing left to do at the current time. */
  const settle = async (): Promise<void> => {
    for (let round = 0; round < 1000; round += 1) {
      await new Promise((resolve) => setImmediate(resolve));
      if (time.runDeferred() === 0) return;
    }
    throw new Error('the loop did not settle');
  };
  const elect = async (): Promise<void> => {
    for (let tick = 0; tick < 30 && driver.role !== 'leader'; tick += 1) {
      time.advance(100);
      driver.tick();
      await settle();
    }
    expect(driver.role).toBe('leader');
  };
  return { driver, time, sm, fatal, settle, elect };
}

const write = (n: number): Uint8Array => new Uint8Array([0x91, n]);

/** A durable log whose writes wait, once `hold()` is called, until `release()`. */
class HeldDurableLog extends MemoryDurableLog {
  private held: Promise<void> | undefined;
  private releaseHeld: () => void = () => {};
  writesWaiting = 0;

  hold(): void {
    this.held = new Promise((resolve) => {
      this.releaseHeld = resolve;
    });
  }

  release(): void {
    this.held = undefined;
    this.releaseHeld();
  }

  override async save(batch: LogSave): Promise<void> {
    const held = this.held;
    if (held !== undefined) {
      this.writesWaiting += 1;
      await held;
      this.writesWaiting -= 1;
    }
    await super.save(batch);
  }
}

/** A state machine whose applies wait, once `hold()` is called, until `release()`. */
class HeldStateMachine extends MemoryStateMachine {
  private held: Promise<void> | undefined;
  private releaseHeld: () => void = () => {};
  appliesWaiting = 0;

  hold(): void {
    this.held = new Promise((resolve) => {
      this.releaseHeld = resolve;
    });
  }

  release(): void {
    this.held = undefined;
    this.releaseHeld();
  }

  override async apply(entries: readonly Entry[], hooks?: ApplyHooks): Promise<ApplyResult[]> {
    const held = this.held;
    if (held !== undefined) {
      this.appliesWaiting += 1;
      await held;
      this.appliesWaiting -= 1;
    }
    return super.apply(entries, hooks);
  }
}

describe('NodeDriver on in-memory twins', () => {
  it('commits the writes of one turn as one entry and answers each at its slot', async () => {
    const m = singleMember();
    await m.elect();
    const deadline = m.time.wallMs() + 5_000;
    const answers = Promise.all([m.driver.propose(write(1), deadline), m.driver.propose(write(2), deadline), m.driver.propose(write(3), deadline)]);
    expect(m.driver.pendingProposalCount).toBe(3);
    await m.settle();
    const results = await answers;
    expect(results.map((r) => r.slot)).toEqual([0, 1, 2]);
    expect(new Set(results.map((r) => r.index)).size).toBe(1);
    expect(m.driver.pendingProposalCount).toBe(0);
    expect(m.driver.commitIndex).toBe(m.sm.appliedIndex);
    m.driver.checkInvariants();
    expect(m.fatal).toEqual([]);
  });

  it('answers a read barrier only once the state machine reached its read index', async () => {
    const m = singleMember();
    await m.elect();
    const deadline = m.time.wallMs() + 5_000;
    const written = m.driver.propose(write(1), deadline);
    await m.settle();
    const result = await written;
    const read = m.driver.readBarrier(deadline).then(() => m.sm.appliedIndex);
    await m.settle();
    expect(await read).toBeGreaterThanOrEqual(result.index);
    m.driver.checkInvariants();
  });

  it('times a write out on the injected timers when its deadline passes before it is proposed', async () => {
    const m = singleMember();
    await m.elect();
    const answer = m.driver.propose(write(1), m.time.wallMs() + 50);
    const refused = expect(answer).rejects.toBeInstanceOf(TimeoutError);
    m.time.advance(100);
    await m.settle();
    await refused;
    m.driver.checkInvariants();
  });

  it('is driven by nothing but the twins: the same seed gives the same read request ids and indexes', async () => {
    const runs = [singleMember(), singleMember()];
    const indexes: number[][] = [];
    for (const m of runs) {
      await m.elect();
      const deadline = m.time.wallMs() + 5_000;
      const got: number[] = [];
      for (let n = 0; n < 5; n += 1) {
        const answer = m.driver.propose(write(n), deadline);
        await m.settle();
        got.push((await answer).index);
      }
      indexes.push(got);
    }
    expect(indexes[0]).toEqual(indexes[1]);
  });
});

describe('NodeDriver while a log write runs', () => {
  it('steps a peer message that arrives during the log write into the core, and keeps proposals for the next Ready', async () => {
    let log: HeldDurableLog | undefined;
    const m = singleMember({
      log: (storage) => {
        log = new HeldDurableLog(storage);
        return log;
      },
    });
    await m.elect();
    const deadline = m.time.wallMs() + 5_000;
    log!.hold();
    const first = m.driver.propose(write(1), deadline);
    await m.settle();
    expect(log!.writesWaiting).toBe(1);
    const { lastIndex, term } = m.driver.status();
    const secondOutcome = m.driver.propose(write(2), deadline).then(
      () => 'answered',
      (error: Error) => error.name,
    );
    const firstOutcome = first.then(
      () => 'answered',
      (error: Error) => error.name,
    );
    // A heartbeat of a later term from another member: the core steps down while the write runs.
    m.driver.deliver([newMessage({ type: 'heartbeat', from: 2, to: 1, term: term + 1 })]);
    await m.settle();
    expect(m.driver.status()).toMatchObject({ term: term + 1, role: 'follower', lastIndex });
    expect(log!.writesWaiting).toBe(1);
    log!.release();
    await m.settle();
    // The first write's entry is durable but no longer the leader's to commit; the second was
    // proposed after the step-down and is refused.
    expect(await secondOutcome).toBe('NotLeaderError');
    expect(m.driver.role).toBe('follower');
    expect(m.driver.status().lastIndex).toBe(lastIndex);
    expect(m.fatal).toEqual([]);
    m.time.advance(10_000);
    await m.settle();
    expect(await firstOutcome).not.toBe('answered');
  });
});

describe("NodeDriver and a leader's snapshot", () => {
  /** Member 1 of three, follower of member 2 in term 2, with entries 4..8 committed and their apply held. */
  async function followerApplying() {
    const sm = new HeldStateMachine();
    const m = singleMember({ voters: [1, 2, 3], stateMachine: sm });
    m.driver.setSender({ send: () => {} });
    m.driver.tick(1);
    await m.settle();
    expect(sm.appliedIndex).toBe(3);
    sm.hold();
    const entries: Entry[] = [4, 5, 6, 7, 8].map((index) => ({ type: 'normal', term: 2, index, data: new Uint8Array() }));
    m.driver.deliver([newMessage({ type: 'append', from: 2, to: 1, term: 2, index: 3, logTerm: 1, entries, commit: 8 })]);
    await m.settle();
    expect(sm.appliesWaiting).toBe(1);
    expect(m.driver.status()).toMatchObject({ commit: 8, leaderId: 2 });
    expect(sm.appliedIndex).toBe(3);
    return { ...m, sm };
  }

  it('does not restore a snapshot that arrived ahead of the applied index once the applies in flight passed it (FINDINGS R13)', async () => {
    const m = await followerApplying();
    // Seed 15000368: a snapshot at 6 arrives while the state is at 3 and entries up to 8 apply.
    const restored: number[] = [];
    const decided = m.driver.restoreSnapshotState(6, async () => {
      restored.push(6);
      m.sm.appliedIndex = 6;
    });
    await m.settle();
    expect(restored).toEqual([]);
    m.sm.release();
    await m.settle();
    expect(await decided).toBe(false);
    expect(restored).toEqual([]);
    expect(m.sm.appliedIndex).toBe(8);
    m.driver.checkInvariants();
    expect(m.fatal).toEqual([]);
  });

  it('restores a snapshot ahead of the commit index once the applies in flight are done, holding the loop meanwhile', async () => {
    const m = await followerApplying();
    const order: string[] = [];
    const decided = m.driver.restoreSnapshotState(12, async () => {
      order.push(`restore at applied ${m.sm.appliedIndex}`);
      m.sm.appliedIndex = 12;
    });
    m.sm.release();
    await m.settle();
    expect(await decided).toBe(true);
    expect(order).toEqual(['restore at applied 8']);
    expect(m.sm.appliedIndex).toBe(12);
    m.driver.checkInvariants();
    expect(m.fatal).toEqual([]);
  });

  it('stops the member when a restore leaves the state behind where it was', async () => {
    const m = await followerApplying();
    m.sm.release();
    await m.settle();
    const decided = m.driver.restoreSnapshotState(12, async () => {
      m.sm.appliedIndex = 5;
    });
    await expect(decided).rejects.toThrow(/restored a state at applied 5, behind 8/);
    expect(m.fatal.map((error) => (error as Error).name)).toEqual(['InvariantError']);
  });
});

describe('LogWriter', () => {
  it('never writes a held-back commit index of an older term over a newer term and vote', async () => {
    const { LogWriter } = await import('../src/driver/log-writer.js');
    const storage = MemoryLogStorage.bootstrap([1, 2, 3]);
    const log = new MemoryDurableLog(storage);
    const time = new ManualTime();
    const config = parseNodeConfig(['--id', '1', '--data-dir', '/nonexistent', '--log-level', 'silent'], {});
    const writer = new LogWriter({ log, clock: time, timers: time, failpoints: config.failpoints, metrics: new NodeMetrics() });
    const ready = (fields: Partial<Ready>): Ready => ({
      entries: [],
      messages: [],
      messagesAfterPersist: [],
      committedEntries: [],
      readStates: [],
      droppedReads: [],
      mustSync: false,
      ...fields,
    });
    const last = storage.lastIndex();
    // Only the commit index moved (term 1): held back.
    await writer.persist(ready({ hardState: { term: 1, vote: 0, commit: last } }));
    // A new term and vote: written and synced at once.
    await writer.persist(ready({ hardState: { term: 4, vote: 2, commit: last }, mustSync: true }));
    // Entries of term 4 with no hard state change of their own.
    await writer.persist(ready({ entries: [{ type: 'normal', term: 4, index: last + 1, data: new Uint8Array() }], mustSync: true }));
    expect(log.hardState()).toEqual({ term: 4, vote: 2, commit: last });
  });
});

describe('NodeDriver after a start', () => {
  it('answers no vote for an election timeout after it starts, in read-index mode too', async () => {
    // Member 1 of three, just started without --read-mode lease: it may have acknowledged a
    // round a leader's lease counts on before it went down, so campaigns are not answered yet.
    const m = singleMember({ voters: [1, 2, 3] });
    const sent: { type: string; to: number; reject: boolean }[] = [];
    m.driver.setSender({ send: (messages) => sent.push(...messages.map((x) => ({ type: x.type, to: x.to, reject: x.reject }))) });
    const lastIndex = m.driver.status().lastIndex;
    const campaign = (type: 'preVote' | 'vote', term: number) =>
      newMessage({ type, from: 2, to: 1, term, index: lastIndex + 10, logTerm: 5 });
    m.driver.deliver([campaign('preVote', 6)]);
    await m.settle();
    m.time.advance(90);
    m.driver.tick(9);
    m.driver.deliver([campaign('preVote', 6), campaign('vote', 6)]);
    await m.settle();
    expect(sent.filter((x) => x.type === 'preVoteResponse' || x.type === 'voteResponse')).toEqual([]);
    expect(m.driver.term).toBe(1);
    // One election timeout (10 ticks) counted: the next campaign is answered, and granted.
    m.time.advance(10);
    m.driver.tick(1);
    await m.settle();
    m.driver.deliver([campaign('preVote', 6)]);
    await m.settle();
    expect(sent.filter((x) => x.type === 'preVoteResponse')).toEqual([{ type: 'preVoteResponse', to: 2, reject: false }]);
    expect(m.fatal).toEqual([]);
  });

  it('holds a caller waiting for a leader until one is elected, or until its deadline', async () => {
    const m = singleMember({ voters: [1, 2, 3] });
    m.driver.setSender({ send: () => {} });
    expect(m.driver.leaderId).toBe(0);
    let answered: number | undefined;
    void m.driver.waitForLeader(m.time.wallMs() + 1000).then((id) => {
      answered = id;
    });
    let timedOut: number | undefined;
    void m.driver.waitForLeader(m.time.wallMs() + 100).then((id) => {
      timedOut = id;
    });
    m.time.advance(150);
    await m.settle();
    expect(timedOut).toBe(0);
    expect(answered).toBeUndefined();
    // Member 2 wins an election: its first heartbeat names it, and the waiting caller goes on.
    m.driver.deliver([newMessage({ type: 'heartbeat', from: 2, to: 1, term: 2 })]);
    await m.settle();
    expect(answered).toBe(2);
    // Known now: answered at once.
    expect(await m.driver.waitForLeader(m.time.wallMs() + 1000)).toBe(2);
    expect(m.fatal).toEqual([]);
  });
});
