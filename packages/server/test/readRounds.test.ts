import type { RaftCore, Ready } from '@holdfast/raft';
import { describe, expect, it } from 'vitest';
import { ReadRounds, type ReadWaiter } from '../src/driver/read-rounds.js';
import { InternalError, NotLeaderError } from '../src/errors.js';

/** A core that only records the read rounds it is given. */
function recordingCore(): { core: RaftCore; asked: number[] } {
  const asked: number[] = [];
  const core = { readIndex: (requestId: number) => asked.push(requestId) } as unknown as RaftCore;
  return { core, asked };
}

function emptyReady(fields: Partial<Ready>): Ready {
  return { entries: [], messages: [], messagesAfterPersist: [], committedEntries: [], readStates: [], droppedReads: [], mustSync: false, ...fields };
}

function waiter(answers: string[], name: string): ReadWaiter {
  return { resolve: () => answers.push(name), reject: (error) => answers.push(`${name}: ${error.kind}`), deadlineMs: Number.POSITIVE_INFINITY };
}

describe('ReadRounds: linearizable reads in the driver', () => {
  it('keeps up to roundsInFlightMax rounds in the core; reads past it wait for one to come back and then share a round', () => {
    const { core, asked } = recordingCore();
    const rounds = new ReadRounds({
      core,
      roundTimeoutTicks: 10,
      roundsInFlightMax: 2,
      firstRequestId: 100,
      notLeader: () => new NotLeaderError(''),
      mapCoreError: (error) => new InternalError(String(error)),
    });
    const answers: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) {
      rounds.enqueue(waiter(answers, name));
      rounds.maybeStartRound(0);
    }
    expect(asked).toEqual([101, 102]);
    expect(rounds.hasQueued).toBe(true);
    rounds.handleReady(emptyReady({ readStates: [{ requestId: 101, index: 5 }] }), 5);
    expect(answers).toEqual(['a']);
    rounds.maybeStartRound(0);
    expect(asked).toEqual([101, 102, 103]);
    rounds.checkInvariants();
    rounds.handleReady(emptyReady({ readStates: [{ requestId: 103, index: 6 }], droppedReads: [102] }), 6);
    expect(answers).toEqual(['a', 'b: not-leader', 'c', 'd']);
  });
});
