import { Prng } from '@holdfast/raft';
import { describe, expect, it } from 'vitest';
import { parseDuration, parseReadModes, renderReadModeComparison, runBenchCli } from '../src/cli.js';
import type { BenchReport } from '../src/report.js';
import { ProxyNetwork } from '../src/proxy.js';
import { applyRegions, delayBetween, loadRegions, regionOf } from '../src/regions.js';

describe('command line', () => {
  it('reads durations with units, bare numbers as seconds', () => {
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('1500ms')).toBe(1500);
    expect(parseDuration('2')).toBe(2000);
    expect(() => parseDuration('ten minutes')).toThrow(/not a duration/);
  });

  it('refuses a bad option with status 2 before starting any cluster', async () => {
    const lines: string[] = [];
    expect(await runBenchCli(['--nemesis', 'explode'], (line) => lines.push(line))).toBe(2);
    expect(lines.join('\n')).toMatch(/unknown nemesis "explode"/);
    expect(await runBenchCli(['--regions', 'atlantis'], (line) => lines.push(line))).toBe(2);
    expect(lines.join('\n')).toMatch(/neither a preset/);
    expect(await runBenchCli(['--read-mode', 'lease,quorum'], (line) => lines.push(line))).toBe(2);
    expect(lines.join('\n')).toMatch(/"quorum" is neither read-index nor lease/);    // The election spread is for region runs only, and within the region timing's election ticks.
    expect(await runBenchCli(['--election-spread-ticks', '25'], (line) => lines.push(line))).toBe(2);
    expect(lines.join('\n')).toMatch(/--election-spread-ticks: only with --regions/);
    expect(await runBenchCli(['--regions', 'three-regions', '--election-spread-ticks', '76'], (line) => lines.push(line))).toBe(2);
    expect(lines.join('\n')).toMatch(/76 is above the region timing's election ticks \(75\)/);
    // So are ranked election slots, below the region timing's election ticks.
    expect(await runBenchCli(['--election-rank-slot-ticks', '8'], (line) => lines.push(line))).toBe(2);
    expect(lines.join('\n')).toMatch(/--election-rank-slot-ticks: only with --regions/);
    expect(await runBenchCli(['--regions', 'three-regions', '--election-rank-slot-ticks', '75'], (line) => lines.push(line))).toBe(2);
    expect(lines.join('\n')).toMatch(/75 is not below the region timing's election ticks \(75\)/);
  });

  it('reads one read mode or several to compare, and lays the linearizable reads of each mode side by side', () => {
    expect(parseReadModes('lease')).toEqual(['lease']);
    expect(parseReadModes('lease,read-index')).toEqual(['lease', 'read-index']);
    expect(() => parseReadModes('lease,lease')).toThrow(/named twice/);
    const report = (mode: string, p50Ms: number): BenchReport =>
      ({
        verdict: { passed: true },
        figures: {
          leaderTimeline: [{ t: 0, leader: 'n1' }, { t: 1, leader: 'n1' }, { t: 2, leader: 'n1' }, { t: 3, leader: 'n4' }],
          byClientRegion: [
            { region: 'us-east', kind: 'put', count: 10, ok: 10, okPerS: 1, p50Ms: 90, p99Ms: 120 },
            { region: 'us-east', kind: `get ${mode}`, count: 10, ok: 9, okPerS: 1, p50Ms, p99Ms: 2 * p50Ms },
          ],
        },
      }) as unknown as BenchReport;
    const table = renderReadModeComparison(
      [
        { mode: 'lease', report: report('lease', 1.5) },
        { mode: 'read-index', report: report('read-index', 80) },
      ],
      ['0.50 to 0.70', '0.70 to 0.90'],
    ).split('\n');
    expect(table[0]).toBe('| client region | operation | lease: p50 / p99 ms (ok) | read-index: p50 / p99 ms (ok) |');
    expect(table).toContain('| us-east | get linearizable | 1.50 / 3.00 (9) | 80.00 / 160.00 (9) |');
    expect(table).toContain('lease: leader n1 75%, n4 25%; verdict PASS; load 0.50 to 0.70');
  });
});

describe('regions', () => {
  it('assigns nodes round-robin and applies the region delay to both directions and to clients', () => {
    const layout = loadRegions('three-regions');
    expect(regionOf(layout, 'n1')).toBe('us-east');
    expect(regionOf(layout, 'n4')).toBe('us-east');
    expect(delayBetween(layout, 'us-west', 'eu-west')).toBe(80);
    expect(delayBetween(layout, 'eu-west', 'us-west')).toBe(80);
    const network = new ProxyNetwork({ prng: new Prng(1) });
    applyRegions({ network, layout });
    expect(network.controlsFor('n2', 'n3').latencyMs).toBe(80);
    expect(network.controlsFor('n3', 'n2').latencyMs).toBe(80);
    expect(network.controlsFor('n1', 'n2').latencyMs).toBe(30);
    expect(network.controlsFor('client', 'n1').latencyMs).toBe(0);
    expect(network.controlsFor('client', 'n3').latencyMs).toBe(40);
    // A member added later (a wiped member back as n7, member churn) sits in its id's region.
    expect(network.controlsFor('n7', 'n3').latencyMs).toBe(40);
    expect(network.controlsFor('client@eu-west', 'n8').latencyMs).toBe(80);
    expect(network.controlsFor('n7', 'client@us-east').latencyMs).toBe(0);
    // A fault adds to the baseline and a heal restores it.
    network.setFault('n1', 'n2', { latencyMs: 100 });
    expect(network.controlsFor('n1', 'n2').latencyMs).toBe(130);
    network.healAll();
    expect(network.controlsFor('n1', 'n2').latencyMs).toBe(30);
  });

  it('places a member where the cluster registered it, whatever its id, and gives an unregistered one no delay until it is registered', () => {
    const layout = loadRegions('three-regions');
    const registered = new Map([
      ['n1', 'us-east'],
      ['n2', 'us-west'],
      ['n3', 'eu-west'],
    ]);
    const network = new ProxyNetwork({ prng: new Prng(1) });
    applyRegions({ network, layout, memberRegion: (node) => registered.get(node) });
    // n7 would be us-east by its id; not registered yet, its links carry no delay (and are asked again).
    expect(network.controlsFor('n7', 'n2').latencyMs).toBe(0);
    registered.set('n7', 'us-west');
    expect(network.controlsFor('n7', 'n2').latencyMs).toBe(0);
    expect(network.controlsFor('n7', 'n3').latencyMs).toBe(80);
    expect(network.controlsFor('client@us-east', 'n7').latencyMs).toBe(30);
  });
});
