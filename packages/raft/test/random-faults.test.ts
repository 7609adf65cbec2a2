/**
 * Safety under random faults (§5.4 Figure 3): seeded runs that drop and partition messages,
 * crash and restart nodes, slow disks down, compact logs, transfer leadership and change
 * membership, checking the Raft guarantees after every step. A failure prints the seed.
 */
import { describe, expect, it } from 'vitest';
import { type Message, type NodeId, RaftError } from '../src/index.js';
import { Network, seededRandom, text } from './network.js';

interface RunResult {
  readonly proposals: number;
  readonly commits: number;
  readonly reads: number;
  readonly snapshots: number;
  readonly members: number;
  readonly damaged: number;
}

function runRandomFaults(seed: number, steps: number): RunResult {
  const random = seededRandom(seed * 7919 + 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  // Small windows on some seeds, so that lost appends leave the in-flight window blocked.
  const windows = pick([
    { inflightMessagesMax: 256, inflightBytesMax: 1 << 20 },
    { inflightMessagesMax: 4, inflightBytesMax: 1 << 20 },
    { inflightMessagesMax: 64, inflightBytesMax: 300 },
  ]);
  const net = new Network([1, 2, 3], {
    seed,
    config: { electionTicks: 10, heartbeatTicks: 2, messageBytesMax: 256, preVote: random() < 0.8, ...windows },
  });
  net.recordTraffic = false;
  let dropRate = 0;
  let delayRate = 0;
  let duplicateRate = 0;
  // Delayed messages come back later, out of order, possibly terms later.
  const delayed: Message[] = [];
  const faultyNetwork = (m: Message): boolean => {
    if (random() < dropRate) return false;
    if (random() < delayRate) {
      delayed.push(m);
      return false;
    }
    if (random() < duplicateRate) delayed.push(m);
    return true;
  };
  net.filter = faultyNetwork;
  const leaders = new Map<number, NodeId>();
  const appliedAt = new Map<number, string>();
  const readFloor = new Map<string, number>();
  let proposals = 0;
  let reads = 0;
  let nextRead = 1;
  let nextSpare = 4;
  let damaged = 0;
  /** Members whose disk lost acknowledged entries and that have not left repair (their marker). */
  const inRepair = new Set<NodeId>();
  const restart = (id: NodeId): void => net.restart(id, { repairing: inRepair.has(id) });

  const checked = new Map<NodeId, { count: number; last: unknown }>();
  const monotonic = new Map<NodeId, { node: unknown; term: number; commit: number }>();
  const check = (): void => {
    for (const peer of net.peers.values()) {
      if (!peer.up) continue;
      const status = peer.node.status();
      if (status.role === 'leader') {
        const known = leaders.get(status.term);
        expect(known === undefined || known === peer.id, `two leaders in term ${status.term} (seed ${seed})`).toBe(true);
        leaders.set(status.term, peer.id);
      }
      expect(status.applied <= status.commit && status.commit <= status.lastIndex).toBe(true);
      // Term and commit never decrease within one process; across a crash, a term that was
      // never written may be lost, but never one below what the disk holds.
      if (inRepair.has(peer.id) && !status.repairing) inRepair.delete(peer.id);
      const previous = monotonic.get(peer.id);
      if (previous !== undefined && previous.node === peer.node) {
        expect(status.term, `term went back on ${peer.id} (seed ${seed})`).toBeGreaterThanOrEqual(previous.term);
        expect(status.commit, `commit went back on ${peer.id} (seed ${seed})`).toBeGreaterThanOrEqual(previous.commit);
      }
      expect(status.term).toBeGreaterThanOrEqual(peer.storage.hardStateNow().term);
      monotonic.set(peer.id, { node: peer.node, term: status.term, commit: status.commit });
      const seen = checked.get(peer.id);
      // Re-check from the start when the applied list was rebuilt (restart, snapshot).
      const from = seen !== undefined && peer.applied[seen.count - 1] === seen.last ? seen.count : 0;
      checked.set(peer.id, { count: peer.applied.length, last: peer.applied[peer.applied.length - 1] });
      for (let position = from; position < peer.applied.length; position += 1) {
        const entry = peer.applied[position]!;
        if (position > 0) expect(entry.index, `applied out of order (seed ${seed})`).toBe(peer.applied[position - 1]!.index + 1);
        const key = `${entry.term}:${text(entry)}`;
        const known = appliedAt.get(entry.index);
        expect(known === undefined || known === key, `index ${entry.index} applied as ${key} and ${known} (seed ${seed})`).toBe(true);
        appliedAt.set(entry.index, key);
      }
      for (const read of peer.readStates.splice(0)) {
        const floor = readFloor.get(`${peer.id}:${read.requestId}`) ?? 0;
        expect(read.index, `stale read ${read.requestId} on ${peer.id} (seed ${seed})`).toBeGreaterThanOrEqual(floor);
        reads += 1;
      }
    }
  };

  const attempt = (action: () => void): void => {
    try {
      action();
    } catch (error) {
      // Typed refusals are the expected answer to a random request; anything else is a bug.
      if (!(error instanceof RaftError) || error.code === 'INVARIANT') throw error;
    }
  };

  for (let step = 0; step < steps; step += 1) {
    const roll = random();
    const ids = [...net.peers.keys()];
    const leader = net.leader();
    if (roll < 0.5) {
      net.tick();
    } else if (roll < 0.65 && leader !== undefined) {
      attempt(() => {
        net.node(leader).propose([new TextEncoder().encode(`v${seed}-${step}`)]);
        proposals += 1;
      });
      net.stabilize();
    } else if (roll < 0.67) {
      dropRate = pick([0, 0, 0.1, 0.3]);
    } else if (roll < 0.69) {
      delayRate = pick([0, 0, 0.05, 0.2]);
      duplicateRate = pick([0, 0, 0.05, 0.2]);
    } else if (roll < 0.7) {
      // Release some delayed messages, in random order.
      const count = Math.floor(random() * (delayed.length + 1));
      for (let i = 0; i < count; i += 1) net.queue.push(delayed.splice(Math.floor(random() * delayed.length), 1)[0]!);
      net.stabilize();
    } else if (roll < 0.74) {
      net.heal();
      net.filter = faultyNetwork;
      const partition = random();
      if (partition < 0.4) net.isolate(pick(ids));
      else if (partition < 0.7) net.cutLink(pick(ids), pick(ids)); // one way
    } else if (roll < 0.77) {
      const id = pick(ids);
      if (net.peer(id).up) net.crash(id);
      else restart(id);
    } else if (roll < 0.8) {
      const peer = net.peer(pick(ids));
      peer.frozen = !peer.frozen;
      net.stabilize();
    } else if (roll < 0.83) {
      const peer = net.peer(pick(ids));
      const applied = peer.up ? peer.node.status().applied : 0;
      if (peer.up && peer.pending === undefined && applied > peer.storage.snapshot().meta.index) {
        net.snapshotAndCompact(peer.id, Math.max(peer.storage.firstIndex() - 1, applied - Math.floor(random() * 3)));
      }
    } else if (roll < 0.9) {
      const peer = net.peer(pick(ids));
      if (peer.up) {
        const floor = Math.max(...[...net.peers.values()].filter((p) => p.up).map((p) => p.node.status().commit));
        const requestId = nextRead++;
        readFloor.set(`${peer.id}:${requestId}`, floor);
        attempt(() => peer.node.readIndex(requestId));
        net.stabilize();
      }
    } else if (roll < 0.93 && leader !== undefined) {
      attempt(() => net.node(leader).transferLeadership(pick(ids)));
      net.stabilize();
    } else if (roll < 0.96 && leader !== undefined) {
      const conf = net.node(leader).status().confState;
      const learner = conf.learners[0];
      attempt(() => {
        if (learner !== undefined) net.node(leader).proposeConfChange({ type: 'promoteLearner', nodeId: learner });
        else if (conf.voters.length >= 4 || nextSpare > 6) {
          net.node(leader).proposeConfChange({ type: 'removeNode', nodeId: pick(conf.voters) });
        } else {
          net.node(leader).proposeConfChange({ type: 'addLearner', nodeId: nextSpare });
          net.addPeer(nextSpare);
          nextSpare += 1;
        }
      });
      net.stabilize();
    } else if (roll < 0.972 && inRepair.size === 0 && leader !== undefined) {
      // A lost synced tail: the disk drops the last entries, acknowledged ones included, and the
      // stored commit with them; term and vote survive (kept in a second place). One damaged
      // member at a time: it restarts in repair.
      const peer = net.peer(pick(ids));
      if (peer.pending === undefined || !peer.up) {
        if (peer.up) net.crash(peer.id);
        // Never below the snapshot: the server restarts a log that ends before its state as a
        // snapshot at the state's applied index, which is what the stored snapshot is here.
        const base = Math.max(peer.storage.firstIndex() - 1, peer.storage.snapshot().meta.index);
        const keep = base + Math.floor(random() * (peer.storage.lastIndex() - base + 1));
        peer.storage.loseEntriesAfter(keep);
        inRepair.add(peer.id);
        damaged += 1;
        restart(peer.id);
      }
    } else {
      net.tick();
    }
    check();
  }

  // Heal everything: the cluster must converge on one leader and one log.
  dropRate = 0;
  delayRate = 0;
  duplicateRate = 0;
  net.heal();
  for (const peer of net.peers.values()) {
    peer.frozen = false;
    if (!peer.up) restart(peer.id);
  }
  net.stabilize();
  let leaderId: NodeId = 0;
  net.tickUntil(() => {
    const current = net.leader();
    if (current === undefined) return false;
    try {
      net.node(current).propose([new TextEncoder().encode('final')]);
    } catch (error) {
      if (error instanceof RaftError && error.code !== 'INVARIANT') return false;
      throw error;
    }
    leaderId = current;
    return true;
  }, 1000);
  const members = (): NodeId[] => {
    const conf = net.node(leaderId).status().confState;
    return [...conf.voters, ...conf.learners];
  };
  net.tickUntil(() => {
    const commit = net.node(leaderId).status().commit;
    return members().every((id) => {
      const status = net.node(id).status();
      return status.applied >= commit && status.commit >= commit && !status.repairing;
    });
  }, 1000);
  check();
  return {
    proposals,
    commits: net.node(leaderId).status().commit,
    reads,
    snapshots: net.deliveredCounts.get('snapshot') ?? 0,
    members: net.peers.size,
    damaged,
  };
}

interface Totals {
  reads: number;
  commits: number;
  snapshots: number;
  joined: number;
  damaged: number;
}

function runSeeds(first: number, count: number): Totals {
  const total: Totals = { reads: 0, commits: 0, snapshots: 0, joined: 0, damaged: 0 };
  for (let seed = first; seed < first + count; seed += 1) {
    let result: RunResult;
    try {
      result = runRandomFaults(seed, 400);
    } catch (error) {
      throw new Error(`seed ${seed} failed (replay: RAFT_FAULT_SEED=${seed}): ${String(error)}`, { cause: error });
    }
    total.reads += result.reads;
    total.commits += result.commits;
    total.snapshots += result.snapshots;
    total.joined += result.members - 3;
    total.damaged += result.damaged;
  }
  console.log(`random faults, seeds ${first}..${first + count - 1}:`, JSON.stringify(total));
  return total;
}

// RAFT_FAULT_SEEDS=500 (from RAFT_FAULT_FIRST) runs more seeds; RAFT_FAULT_SEED=n replays one.
const onlySeed = process.env['RAFT_FAULT_SEED'];
const extraSeeds = process.env['RAFT_FAULT_SEEDS'];
const SEEDS_PER_TEST = 10;

describe('§5.4 safety under random faults (seeded; a failure names its seed)', () => {
  const ranges: [number, number][] =
    onlySeed !== undefined
      ? [[Number(onlySeed), 1]]
      : extraSeeds !== undefined
        ? [[Number(process.env['RAFT_FAULT_FIRST'] ?? 1), Number(extraSeeds)]]
        : [1, 11, 21].map((first) => [first, SEEDS_PER_TEST]);
  it.each(ranges)(
    'election safety, log matching, state machine safety and fresh reads hold (seeds from %i, %i of them)',
    (first, count) => {
      const total = runSeeds(first, count);
      // The runs must have exercised reads, commits, snapshots and membership changes.
      if (onlySeed === undefined) {
        expect(total.reads).toBeGreaterThan(count / 2);
        expect(total.commits).toBeGreaterThan(10 * count);
        expect(total.snapshots).toBeGreaterThan(0);
        expect(total.joined).toBeGreaterThan(0);
        expect(total.damaged).toBeGreaterThan(count / 4);
      }
    },
    120_000,
  );
});

export { runRandomFaults };
