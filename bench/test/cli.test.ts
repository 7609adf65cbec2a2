import { Prng } from '@holdfast/raft';
import { describe, expect, it } from 'vitest';
import { parseDuration, runBenchCli } from '../src/cli.js';
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
    applyRegions({ network, layout, nodeIds: ['n1', 'n2', 'n3'] });
    expect(network.controlsFor('n2', 'n3').latencyMs).toBe(80);
    expect(network.controlsFor('n3', 'n2').latencyMs).toBe(80);
    expect(network.controlsFor('n1', 'n2').latencyMs).toBe(30);
    expect(network.controlsFor('client', 'n1').latencyMs).toBe(0);
    expect(network.controlsFor('client', 'n3').latencyMs).toBe(40);
    // A fault adds to the baseline and a heal restores it.
    network.setFault('n1', 'n2', { latencyMs: 100 });
    expect(network.controlsFor('n1', 'n2').latencyMs).toBe(130);
    network.healAll();
    expect(network.controlsFor('n1', 'n2').latencyMs).toBe(30);
  });
});
