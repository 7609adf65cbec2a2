import { describe, expect, it } from 'vitest';
import { appliedTexts, Network } from './network.js';

describe('smoke', () => {
  it('elects and replicates', () => {
    const net = new Network([1, 2, 3]);
    net.tickUntil(() => net.leader() !== undefined);
    const leader = net.leader()!;
    net.propose(leader, 'a', 'b');
    net.tick();
    for (const peer of net.peers.values()) expect(appliedTexts(peer)).toEqual(['a', 'b']);
    console.log(net.node(leader).status());
  });
});
