/**
 * Repair of a member whose disk lost entries it had acknowledged (Alagappan et al., "Protocol-Aware
 * Recovery for Consensus-Based Storage", FAST 2018): the member does not vote or campaign, tells
 * the leader, which stops counting its old acknowledgements and catches it up, and leaves repair
 * once it holds what a leader of its term had committed when it answered.
 */
import { describe, expect, it } from 'vitest';
import { CAMPAIGN_TRANSFER, type NodeId } from '../src/index.js';
import { appliedTexts, drain, message, Network, sent, text } from './network.js';

/**
 * Crashes `id`, drops its log after `keepLastIndex` (term and vote survive), restarts it; with
 * `knowsLossTerm` the restart passes its surviving term as `repairLossTerm`.
 */
function loseTail(net: Network, id: NodeId, keepLastIndex: number, repairing: boolean, knowsLossTerm = false): void {
  const term = net.node(id).status().term;
  net.crash(id);
  net.peer(id).storage.loseEntriesAfter(keepLastIndex);
  net.restart(id, { repairing, ...(knowsLossTerm ? { repairLossTerm: term } : {}) });
}

function entryText(net: Network, id: NodeId, index: number): string {
  const entry = net.peer(id).storage.entries(index, index + 1, 1e9)[0]!;
  return `${entry.term}:${text(entry)}`;
}

describe('repair of a member that lost acknowledged entries', () => {
  it('a member in repair never grants a vote or a pre-vote and never campaigns', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a', 'b');
    loseTail(net, 3, 3, true);
    expect(net.node(3).status().repairing).toBe(true);
    net.isolate(3);
    for (let tick = 0; tick < 100; tick += 1) net.tick([3]);
    expect(net.node(3).status().role).toBe('follower');
    expect(net.queue.filter((m) => m.from === 3)).toEqual([]);
    // Candidates with logs ahead of its own are refused all the same, and timeoutNow is ignored.
    const voter = net.peer(3);
    const term = voter.node.status().term;
    voter.node.step(message({ type: 'preVote', from: 2, to: 3, term: term + 1, index: 99, logTerm: term }));
    voter.node.step(message({ type: 'vote', from: 2, to: 3, term: term + 1, index: 99, logTerm: term }));
    voter.node.step(message({ type: 'timeoutNow', from: 2, to: 3, term: term + 1 }));
    const answers = sent(drain(voter));
    expect(answers.map((m) => [m.type, m.reject])).toEqual([
      ['preVoteResponse', true],
      ['voteResponse', true],
    ]);
    expect(voter.node.status()).toMatchObject({ role: 'follower', vote: 0, repairing: true });
  });

  it('without repair the leader never catches up a member that lost acknowledged entries (the failure repair fixes)', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a', 'b', 'c');
    const last = net.node(1).status().lastIndex;
    loseTail(net, 3, last - 2, false);
    for (let tick = 0; tick < 50; tick += 1) net.tick();
    // The leader still believes 3 matches up to `last`, and ignores its rejections as stale.
    expect(net.node(1).status().progress.find((p) => p.id === 3)!.match).toBe(last);
    expect(net.node(3).status().lastIndex).toBe(last - 2);
  });

  it('the leader forgets the match of a member that reports lost entries, catches it up, and the member leaves repair', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a', 'b', 'c');
    const last = net.node(1).status().lastIndex;
    const commitBefore = net.node(1).status().commit;
    loseTail(net, 3, last - 2, true);
    // Heartbeats until the report reached the leader.
    net.tickUntil(() => net.node(1).status().progress.find((p) => p.id === 3)!.lostEntries, 10);
    const commits: number[] = [];
    net.tickUntil(() => {
      commits.push(net.node(1).status().commit, net.node(3).status().commit);
      return !net.node(3).status().repairing;
    }, 50);
    expect(net.node(3).status()).toMatchObject({ lastIndex: last, commit: net.node(1).status().commit, repairing: false });
    expect(net.node(3).status().repairCommitTarget).toBeGreaterThanOrEqual(commitBefore);
    expect(net.node(1).status().progress.find((p) => p.id === 3)).toMatchObject({ match: last, lostEntries: true });
    expect(appliedTexts(net.peer(3))).toEqual(['a', 'b', 'c']);
    // Commit never went back on either node meanwhile.
    const leaderCommits = commits.filter((_, position) => position % 2 === 0);
    const memberCommits = commits.filter((_, position) => position % 2 === 1);
    for (const series of [leaderCommits, memberCommits]) {
      for (let position = 1; position < series.length; position += 1) expect(series[position]).toBeGreaterThanOrEqual(series[position - 1]!);
    }
    // Out of repair it votes again (a transfer's vote passes the leader lease).
    const term = net.node(3).status().term;
    net.peer(3).node.step(message({ type: 'vote', from: 2, to: 3, term: term + 1, index: last, logTerm: term, context: CAMPAIGN_TRANSFER }));
    expect(sent(drain(net.peer(3))).map((m) => [m.type, m.reject])).toEqual([['voteResponse', false]]);
  });

  it('a member in repair waits for a leader that has committed in its term before it counts the answer', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a');
    loseTail(net, 3, 3, true);
    // Appends from a leader of this term carry the answer only with its commit index covering
    // every entry committed before the term.
    const leader = net.peer(1);
    leader.node.step(message({ type: 'heartbeatResponse', from: 3, to: 1, term: leader.node.status().term, lostEntries: true, index: 3 }));
    const answers = sent(drain(leader)).filter((m) => m.type === 'append' && m.to === 3);
    expect(answers.length).toBeGreaterThan(0);
    for (const answer of answers) expect(answer).toMatchObject({ lostEntries: true, commit: leader.node.status().commit });
  });

  it('a committed entry held by the damaged member and the old leader survives the old leader crashing (it is not voted away)', () => {
    const run = (repairing: boolean): { net: Network; x: number } => {
      const net = new Network([1, 2, 3], { config: { checkQuorum: false } });
      net.elect(1);
      net.propose(1, 'a');
      // x reaches only 1 and 3, and commits.
      net.cutLink(1, 2);
      const { lastIndex: x } = net.propose(1, 'x');
      expect(net.node(1).status().commit).toBe(x);
      net.crash(1);
      net.heal();
      loseTail(net, 3, x - 1, repairing, true);
      for (let tick = 0; tick < 100; tick += 1) net.tick([2, 3]);
      return { net, x };
    };
    // Without repair, 3 votes for 2, whose log lacks x: a committed write is lost.
    const unsafe = run(false);
    expect(unsafe.net.leader()).toBe(2);
    expect(entryText(unsafe.net, 2, unsafe.x)).not.toMatch(/:x$/);
    // With repair, 2 cannot win without 3 (its last log term is the loss term, not above it);
    // once 1 is back, it leads and repairs 3 with x.
    const { net, x } = run(true);
    expect(net.leader()).toBeUndefined();
    net.restart(1);
    net.tickUntil(() => net.leader() !== undefined && !net.node(3).status().repairing, 300);
    expect(net.leader()).toBe(1);
    for (const id of [1, 2, 3]) expect(entryText(net, id, x)).toMatch(/:x$/);
  });

  it('a member in repair that knows its loss term votes only for candidates whose last log term is above it', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.propose(1, 'a', 'b');
    const lossTerm = net.node(3).status().term;
    loseTail(net, 3, 3, true, true);
    net.isolate(3);
    const voter = net.peer(3);
    const last = voter.node.status().lastIndex;
    const ask = (type: 'preVote' | 'vote', term: number, logTerm: number, index: number) => {
      voter.node.step(message({ type, from: 2, to: 3, term, index, logTerm }));
      return sent(drain(voter)).map((m) => [m.type, m.reject]);
    };
    // At the loss term the candidate may lack what 3 acknowledged and lost: refused.
    expect(ask('preVote', lossTerm + 1, lossTerm, 99)).toEqual([['preVoteResponse', true]]);
    expect(ask('vote', lossTerm + 1, lossTerm, 99)).toEqual([['voteResponse', true]]);
    // Above it, with the usual checks passing: granted.
    expect(ask('preVote', lossTerm + 2, lossTerm + 1, last)).toEqual([['preVoteResponse', false]]);
    expect(ask('vote', lossTerm + 2, lossTerm + 1, last)).toEqual([['voteResponse', false]]);
    expect(voter.node.status()).toMatchObject({ vote: 2, repairing: true, role: 'follower' });
    // The usual checks still hold: one vote per term.
    const other = message({ type: 'vote', from: 1, to: 3, term: lossTerm + 2, index: last, logTerm: lossTerm + 1 });
    voter.node.step(other);
    expect(sent(drain(voter)).map((m) => [m.type, m.reject])).toEqual([['voteResponse', true]]);
  });

  it('three voters, one in repair and one down: the third is elected once it holds entries of a term after the loss', () => {
    const run = (knowsLossTerm: boolean): Network => {
      const net = new Network([1, 2, 3], { config: { checkQuorum: false } });
      net.elect(1);
      net.propose(1, 'a');
      const { lastIndex } = net.propose(1, 'b');
      loseTail(net, 3, lastIndex - 1, true, knowsLossTerm);
      // 1 and 2 go on without 3: 2 leads a later term and commits there, then goes down.
      net.isolate(3);
      net.elect(2);
      net.propose(2, 'c');
      net.crash(2);
      net.heal();
      for (let tick = 0; tick < 200; tick += 1) net.tick([1, 3]);
      return net;
    };
    // Without the loss term, 3 grants nothing and 1 cannot win alone.
    expect(run(false).leader()).toBeUndefined();
    const net = run(true);
    expect(net.leader()).toBe(1);
    net.tickUntil(() => !net.node(3).status().repairing, 200);
    for (const index of [3, 4, 5]) expect(entryText(net, 3, index)).toBe(entryText(net, 1, index));
    expect(appliedTexts(net.peer(3))).toEqual(['a', 'b', 'c']);
  });
});
