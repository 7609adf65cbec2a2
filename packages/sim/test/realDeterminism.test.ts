import { describe, expect, it } from 'vitest';
import { ALL_STORAGE_FAULTS, runRealSeed } from '../src/index.js';

describe('the real node replays a seed event for event', () => {
  it('gives the same digest, events and totals for the same seed', async () => {
    const options = { seed: 4242, nodeCount: 3, steps: 400, recentEventsMax: 100_000, storageFaults: ALL_STORAGE_FAULTS };
    const first = await runRealSeed(options);
    const second = await runRealSeed(options);
    expect(first.stats.events).toBeGreaterThan(1000);
    expect(second.digest).toBe(first.digest);
    expect(second.recentEvents).toEqual(first.recentEvents);
    expect(second.stats).toEqual(first.stats);
  }, 120_000);

  it('gives different runs for different seeds', async () => {
    const digests = new Set<string>();
    for (const seed of [1, 2, 3]) digests.add((await runRealSeed({ seed, nodeCount: 3, steps: 150 })).digest);
    expect(digests.size).toBe(3);
  }, 120_000);

  it('replays a seed with a narrow election spread event for event, and the spread reaches the members', async () => {
    const options = { seed: 77, nodeCount: 3, steps: 300, recentEventsMax: 100_000, electionSpreadPercent: 20 };
    const first = await runRealSeed(options);
    const second = await runRealSeed(options);
    expect(second.digest).toBe(first.digest);
    expect(second.stats).toEqual(first.stats);
    expect(first.recentEvents.join('\n')).toMatch(/electionSpreadTicks [1-3], /);
    const unset = await runRealSeed({ seed: 77, nodeCount: 3, steps: 300, recentEventsMax: 100_000 });
    expect(unset.recentEvents.join('\n')).not.toMatch(/electionSpreadTicks/);
  }, 120_000);

  it('replays a seed with ranked election slots event for event, and the slot reaches the members', async () => {
    const options = { seed: 78, nodeCount: 5, steps: 300, recentEventsMax: 100_000, electionRankSlotTicks: 3 };
    const first = await runRealSeed(options);
    const second = await runRealSeed(options);
    expect(second.digest).toBe(first.digest);
    expect(second.stats).toEqual(first.stats);
    expect(first.recentEvents.join('\n')).toMatch(/electionRankSlotTicks 3, /);
    const off = await runRealSeed({ ...options, electionRankSlotTicks: 0 });
    const unset = await runRealSeed({ seed: 78, nodeCount: 5, steps: 300, recentEventsMax: 100_000 });
    expect(off.digest).toBe(unset.digest);
    expect(unset.recentEvents.join('\n')).not.toMatch(/electionRankSlotTicks/);
    // The option changes when members stand, hence the run.
    expect(first.digest).not.toBe(unset.digest);
  }, 120_000);
});
