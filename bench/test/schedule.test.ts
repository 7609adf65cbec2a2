import { describe, expect, it } from 'vitest';
import { Prng } from '../src/prng.js';
import { generateSchedule, NEMESIS_KINDS, parseNemesisList, type ScheduleOptions } from '../src/schedule.js';

const base: ScheduleOptions = {
  seed: 'abc',
  kinds: ['kill-leader', 'pause-random', 'partition-leader', 'latency'],
  runMs: 600_000,
  warmupMs: 3000,
  cooldownMs: 5000,
  faultMs: { min: 3000, max: 8000 },
  quietMs: { min: 4000, max: 8000 },
};

describe('fault schedule', () => {
  it('is the same for the same seed', () => {
    expect(generateSchedule(base)).toEqual(generateSchedule({ ...base }));
  });

  it('differs for another seed', () => {
    expect(generateSchedule({ ...base, seed: 'abd' })).not.toEqual(generateSchedule(base));
  });

  it('keeps faults apart, after the warm-up and healed before the cool-down', () => {
    const schedule = generateSchedule(base);
    expect(schedule.length).toBeGreaterThan(10);
    expect(schedule[0]?.startMs).toBeGreaterThanOrEqual(base.warmupMs);
    for (const [i, fault] of schedule.entries()) {
      expect(fault.durationMs).toBeGreaterThanOrEqual(base.faultMs.min);
      expect(fault.durationMs).toBeLessThanOrEqual(base.faultMs.max);
      expect(fault.startMs + fault.durationMs).toBeLessThanOrEqual(base.runMs - base.cooldownMs);
      const next = schedule[i + 1];
      if (next !== undefined) expect(next.startMs).toBeGreaterThanOrEqual(fault.startMs + fault.durationMs + base.quietMs.min);
    }
  });

  it('uses every chosen kind once per round', () => {
    const schedule = generateSchedule(base);
    const firstRound = schedule.slice(0, base.kinds.length).map((f) => f.kind);
    expect([...firstRound].sort()).toEqual([...base.kinds].sort());
  });

  it('plans nothing without nemeses', () => {
    expect(generateSchedule({ ...base, kinds: [] })).toEqual([]);
  });

  it('rejects an empty fault duration range', () => {
    expect(() => generateSchedule({ ...base, faultMs: { min: 0, max: 0 } })).toThrow(/fault duration/);
  });
});

describe('nemesis list', () => {
  it('expands groups, keeps single kinds and drops duplicates', () => {
    expect(parseNemesisList('kill,pause-leader,kill-leader')).toEqual(['kill-leader', 'kill-random', 'pause-leader']);
    expect(parseNemesisList('all')).toEqual([...NEMESIS_KINDS]);
    expect(parseNemesisList('none')).toEqual([]);
  });

  it('rejects an unknown name with the list of known ones', () => {
    expect(() => parseNemesisList('kill,explode')).toThrow(/unknown nemesis "explode".*partition/);
  });
});

describe('seeded generator', () => {
  it('repeats its sequence for a seed and stays in range', () => {
    const a = new Prng('s');
    const b = new Prng('s');
    for (let i = 0; i < 100; i += 1) {
      const x = a.nextInt(3, 9);
      expect(x).toBe(b.nextInt(3, 9));
      expect(x).toBeGreaterThanOrEqual(3);
      expect(x).toBeLessThan(9);
    }
  });
});
