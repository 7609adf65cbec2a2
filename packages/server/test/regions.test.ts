/**
 * Five real members in three regions (us-east 2, us-west 2, eu-west 1): status reports the layout;
 * the survival goal refuses membership changes that would let one region stop the cluster; the
 * leader moves to the preferred region and follows a change of preference.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeClients, tempDir } from './helpers.js';
import { type RegionCluster, startRegionCluster, until } from './regionCluster.js';

describe('placement in three regions', () => {
  const dir = tempDir('regions');
  let regions: RegionCluster;

  beforeAll(async () => {
    regions = await startRegionCluster(dir.path);
  }, 60_000);

  afterAll(async () => {
    closeClients();
    await regions?.cluster.stop();
    dir.remove();
  });

  it('reports the layout and refuses a change that would let one region stop the cluster', async () => {
    const first = await regions.status();
    expect(first.layout).toBe('us-east 2, us-west 2, eu-west 1');
    expect(first.survivesRegionLoss).toBe(true);
    const set = await regions.setPlacement({ survive: 'region' });
    expect(set.placement.survive).toBe('region');
    const address = regions.running()[0]!.clientAddress;
    // Without eu-west's voter, us-east or us-west alone holds half of the four voters.
    await expect(regions.cluster.call(address, 'memberRemove', { id: 3 }, 5000)).rejects.toThrow(
      /removing member 3 \(eu-west\) refused: the survival goal is region, and the voters would be laid out us-east 2, us-west 2/,
    );
    await expect(regions.cluster.call(address, 'memberRemove', { id: 1 }, 5000)).rejects.toThrow(
      /losing us-west would leave fewer than 3 of 4 voters/,
    );
    // A follower forwards the call to the leader and passes its refusal back as it was.
    const leaderId = (await regions.status()).leaderId;
    const follower = regions.running().find((m) => m.id !== leaderId)!;
    await expect(regions.cluster.call(follower.clientAddress, 'memberRemove', { id: 3 }, 5000)).rejects.toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: expect.stringMatching(/removing member 3 \(eu-west\) refused/),
    });
    expect((await regions.status()).members).toHaveLength(5);
  }, 30_000);

  it('has every member time the round trip to every other member, followers included', async () => {
    const ids = [1, 2, 3, 4, 5];
    const full = await until(
      'an RTT row from every member to every other',
      async () => {
        const status = await regions.status();
        const complete = status.members.every((m) => {
          const measured = new Set(m.peerRtts.filter((r) => r.samples > 0).map((r) => r.peerId));
          return ids.filter((id) => id !== m.member?.id).every((id) => measured.has(id));
        });
        return complete ? status : undefined;
      },
      30_000,
    );
    // Followers only send to the leader: their rows to one another come from the link's probes.
    expect(full.members.filter((m) => m.role === 'follower').length).toBeGreaterThanOrEqual(3);
  }, 40_000);

  it('moves the leader to the first preferred region, then follows a change of preference', async () => {
    await regions.setPlacement({ leaderRegions: ['eu-west'] });
    expect(await regions.leaderIn(['eu-west'])).toBe(3);
    await regions.setPlacement({ leaderRegions: ['us-west', 'eu-west'] });
    expect(regions.regionOf(await regions.leaderIn(['us-west']))).toBe('us-west');
    const shown = await regions.status();
    expect(shown.placement).toEqual({ leaderRegions: ['us-west', 'eu-west'], survive: 'region' });
  }, 40_000);
});
