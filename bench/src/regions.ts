import fs from 'node:fs';
import type { ProxyNetwork } from './proxy.js';

/**
 * Regions emulated through the proxies: each node gets a region, each pair of regions a one-way
 * delay (and jitter), applied as the baseline of every link between nodes of those regions and of
 * the links from clients to nodes. The workload's clients live in every region, each dialling the
 * members through proxies of its own region (dialer `client@<region>`); the bench's own clients
 * (admin, read-back, watch) dial as `client`, placed in the first region.
 */
export interface RegionLayout {
  /** Region names; nodes are assigned round-robin (n1 -> regions[0], n2 -> regions[1], ...). */
  regions: string[];
  /** One-way delay in ms between two regions (symmetric; missing pairs = 0). */
  latencyMs: Record<string, Record<string, number>>;
  jitterMs: number;
}

export const REGION_PRESETS: Record<string, RegionLayout> = {
  // Three regions 30-80 ms apart (one-way), roughly us-east / us-west / eu-west.
  'three-regions': {
    regions: ['us-east', 'us-west', 'eu-west'],
    latencyMs: { 'us-east': { 'us-west': 30, 'eu-west': 40 }, 'us-west': { 'eu-west': 80 } },
    jitterMs: 3,
  },
  'two-regions': {
    regions: ['near', 'far'],
    latencyMs: { near: { far: 50 } },
    jitterMs: 2,
  },
};

export class RegionError extends Error {
  override readonly name = 'RegionError';
  readonly code = 'bad-regions';
}

/** A preset name or a path to a JSON file with the RegionLayout shape. */
export function loadRegions(spec: string): RegionLayout {
  const preset = REGION_PRESETS[spec];
  if (preset !== undefined) return preset;
  if (!fs.existsSync(spec)) {
    throw new RegionError(`--regions: ${JSON.stringify(spec)} is neither a preset (${Object.keys(REGION_PRESETS).join(', ')}) nor a file`);
  }
  const parsed = JSON.parse(fs.readFileSync(spec, 'utf8')) as Partial<RegionLayout>;
  if (!Array.isArray(parsed.regions) || parsed.regions.length === 0) throw new RegionError(`${spec}: "regions" must be a non-empty array`);
  return { regions: parsed.regions, latencyMs: parsed.latencyMs ?? {}, jitterMs: parsed.jitterMs ?? 0 };
}

export function regionOf(layout: RegionLayout, nodeId: string): string {
  const index = Number.parseInt(nodeId.replace(/^\D+/, ''), 10) - 1;
  return layout.regions[((index % layout.regions.length) + layout.regions.length) % layout.regions.length] as string;
}

export function delayBetween(layout: RegionLayout, a: string, b: string): number {
  if (a === b) return 0;
  const delay = layout.latencyMs[a]?.[b] ?? layout.latencyMs[b]?.[a] ?? 0;
  if (!(delay >= 0)) throw new RegionError(`latency between ${a} and ${b} must be >= 0, got ${delay}`);
  return delay;
}

/** The proxy dialer id of the workload's clients in `region`. */
export function clientDialerOf(region: string): string {
  return `client@${region}`;
}

/** The region of a client dialer id (`client` is in the first region). */
export function regionOfDialer(layout: RegionLayout, dialer: string): string | undefined {
  if (dialer === 'client') return layout.regions[0];
  return dialer.startsWith('client@') ? dialer.slice('client@'.length) : undefined;
}

/**
 * Where a member is, as the cluster registered it: a member added during the run (a wiped
 * member back under a new id, member churn) takes the region of the one it replaces, which its id
 * need not give. Undefined while the member is not registered yet.
 */
export type MemberRegionOf = (node: string) => string | undefined;

/**
 * The region of member `node`: the cluster's registration when the target keeps one
 * (`memberRegion`), else the id rule (regionOf). Undefined: a member not registered yet.
 */
function regionOfNode(layout: RegionLayout, node: string, memberRegion: MemberRegionOf | undefined): string | undefined {
  return memberRegion === undefined ? regionOf(layout, node) : memberRegion(node);
}

/** The region of a proxy endpoint: a member (`n7`) by regionOfNode, a client dialer by its name. */
function regionOfEndpoint(layout: RegionLayout, endpoint: string, memberRegion: MemberRegionOf | undefined): string | undefined {
  if (/^n\d+$/.test(endpoint)) return regionOfNode(layout, endpoint, memberRegion);
  return regionOfDialer(layout, endpoint);
}

/**
 * Give every directed link between members, and between members and the clients (the bench's own
 * `client`, in the first region, and the clients of every region), its region delay. By rule, not
 * link by link: a member added during the run gets its region's delays once it is registered
 * (`memberRegion`; a link is left without delay, and asked again, until then).
 */
export function applyRegions(options: { network: ProxyNetwork; layout: RegionLayout; memberRegion?: MemberRegionOf }): void {
  const { network, layout, memberRegion } = options;
  network.setBaselineRule((from, to) => {
    const fromRegion = regionOfEndpoint(layout, from, memberRegion);
    const toRegion = regionOfEndpoint(layout, to, memberRegion);
    if (fromRegion === undefined || toRegion === undefined) return undefined;
    const latencyMs = delayBetween(layout, fromRegion, toRegion);
    return { latencyMs, jitterMs: latencyMs > 0 ? layout.jitterMs : 0 };
  });
}

/** The client region of workload worker `worker`: round-robin over the layout's regions. */
export function clientRegionOf(layout: RegionLayout, worker: number): string {
  return layout.regions[worker % layout.regions.length] as string;
}
