import { describe, expect, it } from 'vitest';
import {
  LeadershipTransferInProgressError,
  NotLeaderError,
  TransferTargetInvalidError,
} from '../src/index.js';
import { appliedTexts, data, Network } from './network.js';

describe('§3.10 leadership transfer', () => {
  it('§3.10 leadership moves to an up-to-date follower: it is sent timeoutNow and wins the next term', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.node(1).transferLeadership(2);
    net.stabilize();
    expect(net.node(2).status()).toMatchObject({ role: 'leader', term: 3 });
    expect(net.node(1).status()).toMatchObject({ role: 'follower', leaderId: 2 });
    expect(net.delivered.filter((m) => m.type === 'timeoutNow')).toMatchObject([{ from: 1, to: 2 }]);
  });

  it('§3.10 a lagging target is caught up before it is sent timeoutNow', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.cutLink(1, 3);
    const { lastIndex } = net.propose(1, 'a', 'b', 'c');
    net.heal();
    net.delivered.length = 0;
    net.node(1).transferLeadership(3);
    net.stabilize();
    const timeoutAt = net.delivered.findIndex((m) => m.type === 'timeoutNow');
    const caughtUpAt = net.delivered.findIndex(
      (m) => m.type === 'appendResponse' && m.from === 3 && !m.reject && m.index === lastIndex,
    );
    expect(caughtUpAt).toBeGreaterThanOrEqual(0);
    expect(timeoutAt).toBeGreaterThan(caughtUpAt);
    expect(net.leader()).toBe(3);
    net.tick();
    expect(appliedTexts(net.peer(3))).toEqual(['a', 'b', 'c']);
  });

  it('§3.10 proposals are refused while a transfer is in progress', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.filter = (m) => m.type !== 'timeoutNow';
    net.node(1).transferLeadership(2);
    net.stabilize();
    expect(() => net.node(1).propose([data('x')])).toThrow(LeadershipTransferInProgressError);
    expect(net.node(1).status().leadTransferee).toBe(2);
  });

  it('§3.10 a transfer that has not finished within an election timeout is abandoned', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    net.filter = (m) => m.type !== 'timeoutNow';
    net.node(1).transferLeadership(2);
    net.stabilize();
    for (let tick = 0; tick < 10; tick += 1) net.tick();
    expect(net.node(1).status()).toMatchObject({ role: 'leader', leadTransferee: 0 });
    expect(() => net.node(1).propose([data('x')])).not.toThrow();
  });

  it('§3.10 leadership can only be handed to a voter; a follower cannot start a transfer', () => {
    const net = new Network([1, 2, 3]);
    net.elect(1);
    expect(() => net.node(1).transferLeadership(9)).toThrow(TransferTargetInvalidError);
    expect(() => net.node(2).transferLeadership(3)).toThrow(NotLeaderError);
    expect(net.node(1).status().leadTransferee).toBe(0);
  });
});
