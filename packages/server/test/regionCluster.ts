/** Five real members in three regions (us-east 2, us-west 2, eu-west 1) and what the region tests ask of them. */
import { APPLY_VERSION_PLACEMENT } from '@holdfast/storage';
import type { StatusResponse__Output as StatusResponse } from '@holdfast/protocol';
import { expect } from 'vitest';
import { LocalCluster, type LocalMember } from '../src/localCluster.js';
import { call, get } from './helpers.js';

export const REGIONS = ['us-east', 'us-west', 'eu-west'];
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

export async function startRegionCluster(dataDir: string, extraArgs: readonly string[] = []): Promise<RegionCluster> {
  const cluster = await LocalCluster.start({
    dataDir,
    size: 5,
    regions: REGIONS,
    tickMs: 10,
    electionTicks: 30,
    extraArgs: () => ['--leader-preference-hold-ms', '300', ...extraArgs],
  });
  await cluster.waitForLeader();
  await cluster.waitForClusterVersion(APPLY_VERSION_PLACEMENT);
  return new RegionCluster(cluster);
}

export class RegionCluster {
  constructor(readonly cluster: LocalCluster) {}

  running(): LocalMember[] {
    return this.cluster.members.filter((m) => this.cluster.isRunning(m.id));
  }

  regionOf(id: number): string {
    return this.cluster.member(id).region;
  }

  status(): Promise<StatusResponse> {
    return until('a status answer', async () => {
      for (const m of this.running()) {
        const answer = await this.cluster.call<StatusResponse>(m.clientAddress, 'status', {}, 2000).catch(() => undefined);
        if (answer) return answer;
      }
      return undefined;
    });
  }

  /** Sets the placement through any running member; a refusal is thrown, other failures retried. */
  setPlacement(request: { leaderRegions?: string[]; survive?: string }): Promise<{ placement: { leaderRegions: string[]; survive: string } }> {
    const wire = { leaderRegions: request.leaderRegions ?? [], leaderRegionsSet: request.leaderRegions !== undefined, survive: request.survive ?? '' };
    return until('placement applied', async () => {
      for (const m of this.running()) {
        try {
          return await this.cluster.call(m.clientAddress, 'setPlacement', wire, 5000);
        } catch (error) {
          if ((error as { details?: string }).details?.includes('refused')) throw error;
        }
      }
      return undefined;
    });
  }

  leaderIn(regions: readonly string[], timeoutMs = 20_000): Promise<number> {
    return until(
      `a leader in ${regions.join(' or ')}`,
      async () => {
        const leader = await this.cluster.findLeader();
        return leader !== undefined && regions.includes(leader.region) ? leader.id : undefined;
      },
      timeoutMs,
    );
  }

  /** A write through any running member, then a linearizable read of it on every running member. */
  async writeAndReadOnSurvivors(key: string): Promise<void> {
    await until(`write ${key}`, async () => {
      for (const m of this.running()) {
        const ok = await call(m.clientAddress, 'put', { key: Buffer.from(key), value: Buffer.from('v') }, 3000).then(
          () => true,
          () => false,
        );
        if (ok) return true;
      }
      return undefined;
    });
    for (const m of this.running()) {
      const answer = await until(`linearizable read of ${key} at ${m.id}`, () => get(m.clientAddress, key));
      expect(answer.found, `member ${m.id} reads ${key}`).toBe(true);
    }
  }
}
