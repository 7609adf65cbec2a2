import { Prng } from '@holdfast/raft';
import { describe, expect, it } from 'vitest';
import {
  CORRUPTION_KINDS,
  generateSchedule,
  isCorruptionKind,
  NEMESIS_KINDS,
  parseNemesisList,
  REGION_KINDS,
  type ScheduleOptions,
} from '../src/schedule.js';
import { ZipfianGenerator } from '../src/zipfian.js';

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
    expect(parseNemesisList('none')).toEqual([]);
  });

  it('leaves damage to data at rest and region faults out of `all`; `all,corrupt,region` has every kind', () => {
    const all = parseNemesisList('all');
    expect(all.some(isCorruptionKind)).toBe(false);
    expect(all.some((kind) => (REGION_KINDS as readonly string[]).includes(kind))).toBe(false);
    expect(parseNemesisList('corrupt')).toEqual([...CORRUPTION_KINDS]);
    expect(parseNemesisList('region')).toEqual(['region-outage', 'region-partition']);
    expect(new Set(parseNemesisList('all,corrupt,region'))).toEqual(new Set(NEMESIS_KINDS));
  });

  it('rejects an unknown name with the list of known ones', () => {
    expect(() => parseNemesisList('kill,explode')).toThrow(/unknown nemesis "explode".*partition/);
  });
});

describe('zipfian key ranks', () => {
  it('stay in range, favour low ranks, and repeat for a seed', () => {
    const zipf = new ZipfianGenerator({ itemCount: 50, exponent: 1.1 });
    const a = Prng.fromText('s');
    const b = Prng.fromText('s');
    const counts = new Array<number>(50).fill(0);
    for (let i = 0; i < 5000; i += 1) {
      const rank = zipf.next(a);
      expect(rank).toBe(zipf.next(b));
      expect(rank).toBeGreaterThanOrEqual(0);
      expect(rank).toBeLessThan(50);
      counts[rank] = (counts[rank] as number) + 1;
    }
    expect(counts[0]).toBeGreaterThan(counts[1] as number);
    expect(counts[1]).toBeGreaterThan(counts[10] as number);
    expect(counts[10]).toBeGreaterThan(counts[49] as number);
  });
});
