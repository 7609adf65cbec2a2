/** Each safety check, fed a hand-made bad state, reports the invariant it owns. */
import type { Entry } from '@holdfast/raft';
import { describe, expect, it } from 'vitest';
import { InvariantViolation, type LogView, SafetyChecker } from '../src/index.js';

const encoder = new TextEncoder();

function entry(index: number, term: number, text = `e${index}.${term}`): Entry {
  return { type: 'normal', index, term, data: encoder.encode(text) };
}

function logOf(entries: readonly Entry[], snapshotIndex = 0, snapshotTerm = 0): LogView {
  return {
    snapshotIndex,
    lastIndex: entries[entries.length - 1]?.index ?? snapshotIndex,
    termAt: (index) =>
      index === snapshotIndex ? snapshotTerm : entries.find((candidate) => candidate.index === index)?.term,
  };
}

function violationOf(action: () => void): InvariantViolation {
  try {
    action();
  } catch (error) {
    if (error instanceof InvariantViolation) return error;
    throw error;
  }
  throw new Error('expected an InvariantViolation');
}

describe('election safety', () => {
  it('accepts one leader per term, re-observed', () => {
    const checker = new SafetyChecker();
    checker.observeLeader(1, 2);
    checker.observeLeader(1, 2);
    checker.observeLeader(2, 3);
  });

  it('reports two leaders in one term', () => {
    const checker = new SafetyChecker();
    checker.observeLeader(1, 2);
    const violation = violationOf(() => checker.observeLeader(3, 2));
    expect(violation.invariant).toBe('electionSafety');
    expect(violation.message).toContain('term 2');
  });
});

describe('log matching', () => {
  it('accepts the same entries stored on two nodes', () => {
    const checker = new SafetyChecker();
    checker.observeStoredEntries(1, [entry(1, 1), entry(2, 1)], 0);
    checker.observeStoredEntries(2, [entry(1, 1), entry(2, 1)], 0);
  });

  it('reports two different entries at one index and term', () => {
    const checker = new SafetyChecker();
    checker.observeStoredEntries(1, [entry(1, 1, 'x')], 0);
    const violation = violationOf(() => checker.observeStoredEntries(2, [entry(1, 1, 'y')], 0));
    expect(violation.invariant).toBe('logMatching');
  });

  it('reports one entry stored after two different prefixes', () => {
    const checker = new SafetyChecker();
    checker.observeStoredEntries(1, [entry(4, 3)], 2);
    const violation = violationOf(() => checker.observeStoredEntries(2, [entry(4, 3)], 1));
    expect(violation.invariant).toBe('logMatching');
    expect(violation.message).toContain('prefixes differ');
  });
});

describe('leader completeness', () => {
  it('reports a new leader missing a committed entry', () => {
    const checker = new SafetyChecker();
    const committedLog = [entry(1, 1), entry(2, 1), entry(3, 2)];
    checker.observeStoredEntries(1, committedLog, 0);
    checker.observeCommit(1, 3, logOf(committedLog), 1);
    const violation = violationOf(() => checker.observeLeaderLog(2, 3, logOf([entry(1, 1), entry(2, 1)])));
    expect(violation.invariant).toBe('leaderCompleteness');
  });

  it('reports a new leader holding another term at a committed index', () => {
    const checker = new SafetyChecker();
    const committedLog = [entry(1, 1), entry(2, 2)];
    checker.observeCommit(1, 2, logOf(committedLog), 1);
    const violation = violationOf(() => checker.observeLeaderLog(2, 4, logOf([entry(1, 1), entry(2, 3)])));
    expect(violation.invariant).toBe('leaderCompleteness');
    expect(violation.message).toContain('index 2');
  });

  it('does not bind a leader of an earlier term observed late', () => {
    const checker = new SafetyChecker();
    checker.observeCommit(1, 2, logOf([entry(1, 1), entry(2, 5)]), 5);
    checker.observeLeaderLog(2, 4, logOf([entry(1, 1), entry(2, 4)]));
  });

  it('accepts a leader whose snapshot covers the committed entries', () => {
    const checker = new SafetyChecker();
    checker.observeCommit(1, 2, logOf([entry(1, 1), entry(2, 1)]), 1);
    checker.observeLeaderLog(2, 3, logOf([entry(3, 2)], 2, 1));
  });
});

describe('state-machine safety', () => {
  it('reports two nodes applying different entries at one index', () => {
    const checker = new SafetyChecker();
    checker.observeApplied(1, entry(5, 2, 'put a=1'), 5);
    const violation = violationOf(() => checker.observeApplied(2, entry(5, 2, 'put a=2'), 5));
    expect(violation.invariant).toBe('stateMachineSafety');
  });

  it('reports two nodes committing different terms at one index', () => {
    const checker = new SafetyChecker();
    checker.observeCommit(1, 2, logOf([entry(1, 1), entry(2, 1)]), 1);
    const violation = violationOf(() => checker.observeCommit(2, 2, logOf([entry(1, 1), entry(2, 2)]), 2));
    expect(violation.invariant).toBe('stateMachineSafety');
  });
});

describe('commit index never goes back', () => {
  it('reports a commit index that decreases on a running node', () => {
    const checker = new SafetyChecker();
    const log = logOf([entry(1, 1), entry(2, 1), entry(3, 1)]);
    checker.observeCommit(1, 3, log, 1);
    const violation = violationOf(() => checker.observeCommit(1, 2, log, 1));
    expect(violation.invariant).toBe('commitMonotonic');
  });

  it('reports a durable commit index that decreases across a crash', () => {
    const checker = new SafetyChecker();
    checker.observeDurableCommit(1, 7);
    const violation = violationOf(() => checker.observeDurableCommit(1, 4));
    expect(violation.invariant).toBe('commitMonotonic');
  });

  it('reports a restart below the durable commit index', () => {
    const checker = new SafetyChecker();
    checker.observeDurableCommit(1, 7);
    const violation = violationOf(() => checker.observeRestart(1, 5));
    expect(violation.invariant).toBe('commitMonotonic');
  });

  it('reports a commit index beyond the last index', () => {
    const checker = new SafetyChecker();
    const violation = violationOf(() => checker.observeCommit(1, 4, logOf([entry(1, 1)]), 1));
    expect(violation.invariant).toBe('commitMonotonic');
  });
});

describe('applied ≤ committed', () => {
  it('reports an applied index beyond the commit index', () => {
    const checker = new SafetyChecker();
    expect(violationOf(() => checker.observeAppliedIndex(1, 6, 5)).invariant).toBe('appliedWithinCommitted');
  });

  it('reports an entry applied beyond the commit index', () => {
    const checker = new SafetyChecker();
    expect(violationOf(() => checker.observeApplied(1, entry(6, 1), 5)).invariant).toBe('appliedWithinCommitted');
  });
});

describe('committed entries survive crashes', () => {
  it('reports a commit while the entry is on the disk of a minority only', () => {
    const checker = new SafetyChecker();
    const violation = violationOf(() =>
      checker.observeCommitQuorum({
        leaderId: 1,
        index: 1,
        term: 1,
        voters: [1, 2, 3],
        durableTermAt: (nodeId) => (nodeId === 1 ? 1 : 0),
      }),
    );
    expect(violation.invariant).toBe('committedDurable');
  });

  it('reports a commit held by a majority in the wrong term', () => {
    const checker = new SafetyChecker();
    const violation = violationOf(() =>
      checker.observeCommitQuorum({ leaderId: 1, index: 4, term: 3, voters: [1, 2, 3], durableTermAt: () => 2 }),
    );
    expect(violation.invariant).toBe('committedDurable');
  });

  it('accepts a commit held by a majority, one of them under a snapshot', () => {
    const checker = new SafetyChecker();
    checker.observeCommitQuorum({
      leaderId: 1,
      index: 1,
      term: 1,
      voters: [1, 2, 3],
      durableTermAt: (nodeId) => (nodeId === 1 ? 1 : nodeId === 2 ? -1 : 0),
    });
  });

  it('reports a node whose disk lost a committed entry it held before', () => {
    const checker = new SafetyChecker();
    checker.observeCommit(1, 2, logOf([entry(1, 1), entry(2, 1)]), 1);
    checker.observeDurableLog(2, () => 1);
    const violation = violationOf(() => checker.observeDurableLog(2, (index) => (index === 2 ? 0 : 1)));
    expect(violation.invariant).toBe('committedDurable');
    expect(violation.message).toContain('node 2 lost committed index 2');
  });
});
