/**
 * Five real members in three regions, leader preferred in us-east: losing every member of any one
 * region keeps writes and linearizable reads available on the rest, and once the region is back
 * the leader returns to us-east.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeClients, tempDir } from './helpers.js';
import { REGIONS, type RegionCluster, startRegionCluster } from './regionCluster.js';

describe('losing a whole region', () => {
  const dir = tempDir('region-outage');
  let regions: RegionCluster;

  beforeAll(async () => {
    regions = await startRegionCluster(dir.path);
    await regions.setPlacement({ leaderRegions: ['us-east'], survive: 'region' });
    await regions.leaderIn(['us-east']);
  }, 60_000);

  afterAll(async () => {
    closeClients();
    await regions?.cluster.stop();
    dir.remove();
  });

  for (const lost of REGIONS) {
    it(`keeps writes and linearizable reads without ${lost}, and the leader returns to us-east after it heals`, async () => {
      const members = regions.cluster.members.filter((m) => m.region === lost);
      await Promise.all(members.map((m) => regions.cluster.kill(m.id)));
      await regions.writeAndReadOnSurvivors(`after-losing-${lost}`);
      if (lost === 'us-east') expect(regions.regionOf(await regions.leaderIn(['us-west', 'eu-west']))).not.toBe('us-east');
      for (const m of members) await regions.cluster.restart(m.id);
      await regions.leaderIn(['us-east'], 30_000);
    }, 45_000);
  }
});
