/**
 * A local multi-region cluster for trying things by hand (`holdfast cluster up --regions`): real
 * members behind the bench's latency proxies, laid out and timed as the bench's --regions runs
 * are (docs/operations.md, Regions), the leader preferred in the first region.
 */
import { Prng } from '@holdfast/raft';
import { HoldfastTarget } from './holdfast.js';
import { ProxyNetwork } from './proxy.js';
import { applyRegions, loadRegions, regionOf } from './regions.js';

export interface RegionalCluster {
  /** Each member's client address as clients in the first region reach it (through its proxy). */
  readonly members: { id: number; name: string; region: string; address: string; pid: number }[];
  /** The layout's name and its one-way delays, for printing. */
  readonly description: string;
  stop(): Promise<void>;
}

export async function startRegionalCluster(options: {
  dataDir: string;
  nodes: number;
  regions: string;
  readMode?: 'read-index' | 'lease';
}): Promise<RegionalCluster> {
  const layout = loadRegions(options.regions);
  const prng = Prng.fromText(`regions:${options.dataDir}`);
  const network = new ProxyNetwork({ prng: prng.fork() });
  const target = new HoldfastTarget({ prng: prng.fork(), ...(options.readMode === undefined ? {} : { readMode: options.readMode }) });
  const regionMap = Object.fromEntries(Array.from({ length: options.nodes }, (_, i) => [`n${i + 1}`, regionOf(layout, `n${i + 1}`)]));
  try {
    await target.start({ network, runDir: options.dataDir, nodeCount: options.nodes, regions: regionMap });
    applyRegions({ network, layout });
  } catch (error) {
    await target.stop().catch(() => undefined);
    await network.close();
    throw error;
  }
  const delays = Object.entries(layout.latencyMs).flatMap(([a, row]) => Object.entries(row).map(([b, ms]) => `${a}<->${b} ${ms} ms`));
  return {
    members: target.clientEndpoints(),
    description: `${options.regions}: one-way ${delays.join(', ')} (jitter ${layout.jitterMs} ms); clients in ${layout.regions[0]}`,
    stop: async () => {
      await target.stop();
      await network.close();
    },
  };
}
