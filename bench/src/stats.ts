import hdr from 'hdr-histogram-js';
import type { BenchOperation } from './history.js';
import type { FaultWindow } from './nemesis.js';

export const BUCKET_MS = 100;

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
  meanMs: number;
}

export interface TimelinePoint {
  /** Bucket start, seconds since the workload began. */
  t: number;
  ok: number;
  failed: number;
  unknown: number;
}

export interface LatencyPoint {
  /** Second since the workload began. */
  t: number;
  p50Ms: number;
  p99Ms: number;
}

export interface FaultRecovery {
  index: number;
  kind: string;
  startS: number;
  endS: number;
  /** Operations per second over the 5 s before the fault. */
  preFaultRate: number;
  /** From fault start to the first success of an operation invoked after it; null if none. */
  firstSuccessMs: number | null;
  /**
   * From fault start to the earliest acknowledged write invoked after it; null if none. Reads a
   * surviving member answers alone (serializable) do not count: this is when writes came back.
   */
  firstWriteMs: number | null;
  /** From fault start until a 1 s window reaches half the pre-fault rate again; null if never. */
  throughputBackMs: number | null;
  /** Longest run of 100 ms buckets without a success, from fault start to 5 s after the heal. */
  unavailableMs: number;
}

export interface LeaderSample {
  atMs: number;
  leader: string | undefined;
}

/** After the heal of a region fault, with a leader-region preference set: when the leader was back there. */
export interface PreferredLeaderReturn {
  index: number;
  kind: string;
  /** The faulted nodes. */
  nodes: string[];
  /**
   * Seconds since the workload began at which the region was back: the heal gave the links back
   * and (region-outage) its restarted members answered again. The return is timed from here: a
   * member still booting cannot lead, and how long a process takes to start is the machine's.
   */
  healedS: number;
  /** When the links came back (for a region outage, before its members had started), same clock. */
  linksBackS: number;
  /** The last leader observed before the region was back was outside the preferred region, or none was known. */
  awayAtHeal: boolean;
  /**
   * From the region's return to the first leader observation (started at or after it) that names a
   * member of the preferred region, in ms; null when none did before the next fault began or the
   * run ended. Resolution: the bench's leader polling (every 250 ms plus the lookup).
   */
  returnMs: number | null;
}

const REGION_FAULT_KINDS: readonly string[] = ['region-outage', 'region-partition'];

/**
 * Per healed region fault (region-outage, region-partition), how long after the heal the leader
 * was in the preferred region again, from the bench's leader observations.
 */
export function preferredLeaderReturns(options: {
  windows: readonly FaultWindow[];
  leaderSamples: readonly LeaderSample[];
  preferredRegion: string;
  regionOf: (node: string) => string;
  workloadStartMs: number;
}): PreferredLeaderReturn[] {
  const { leaderSamples, preferredRegion, regionOf } = options;
  const inPreferred = (leader: string | undefined): boolean => leader !== undefined && regionOf(leader) === preferredRegion;
  const starts = options.windows.map((w) => w.startMs);
  const returns: PreferredLeaderReturn[] = [];
  for (const window of options.windows) {
    const linksBackAtMs = window.healedAtMs;
    if (!REGION_FAULT_KINDS.includes(window.kind) || window.skipped !== undefined || linksBackAtMs === undefined) continue;
    // The window ends when the heal is done: links back and, after an outage, its members answering.
    const backAtMs = window.endMs;
    // Watched until the next fault begins: after it, the leader's place is that fault's doing.
    const untilMs = Math.min(...starts.filter((start) => start > window.startMs), Number.POSITIVE_INFINITY);
    const before = leaderSamples.filter((s) => s.atMs < backAtMs).at(-1);
    const back = leaderSamples.find((s) => s.atMs >= backAtMs && s.atMs < untilMs && inPreferred(s.leader));
    returns.push({
      index: window.index,
      kind: window.kind,
      nodes: window.nodes,
      healedS: (backAtMs - options.workloadStartMs) / 1000,
      linksBackS: (linksBackAtMs - options.workloadStartMs) / 1000,
      awayAtHeal: !inPreferred(before?.leader),
      returnMs: back === undefined ? null : back.atMs - backAtMs,
    });
  }
  return returns;
}

export interface RunFigures {
  durationS: number;
  operations: { total: number; ok: number; failed: number; unknown: number };
  throughputOkPerS: number;
  latency: LatencySummary;
  latencyByKind: Record<string, LatencySummary>;
  /** Every 100 ms: operations completed ok / failed / unknown. */
  timeline: TimelinePoint[];
  latencyTimeline: LatencyPoint[];
  /** Histogram of ok latencies for the distribution chart: bucket upper bounds in ms. */
  latencyDistribution: { upToMs: number; count: number }[];
  recoveries: FaultRecovery[];
  leaderChanges: number;
  leaderTimeline: { t: number; leader: string }[];
  /** With a leader-region preference (--regions on holdfast): the region, and per healed region fault when the leader was back in it. */
  leaderPreference?: { region: string; returns: PreferredLeaderReturn[] };
  /** Per client region and operation kind (--regions); absent when the clients have no region. */
  byClientRegion?: RegionLatencyRow[];
}

/** One row of the per-region table: one client region, one kind of operation. */
export interface RegionLatencyRow {
  region: string;
  /** put, cas, delete, `get <how linearizable reads are served>`, `get serializable`, or `get bounded <bound>`. */
  kind: string;
  /** Operations issued (any outcome). */
  count: number;
  ok: number;
  okPerS: number;
  /** Of ok operations; 0 when none. */
  p50Ms: number;
  p99Ms: number;
}

/**
 * The per-region latency table: operations grouped by the region of the client that issued them
 * and by kind. Linearizable reads are named after how the leader served them (`readMode`:
 * read-index, or lease). Rows in the order of `regions`, then put, cas, delete, reads.
 */
export function regionLatencyTable(options: {
  operations: readonly BenchOperation[];
  regions: readonly string[];
  durationS: number;
  readMode: 'read-index' | 'lease';
}): RegionLatencyRow[] {
  const bounds = [...new Set(options.operations.flatMap((op) => (op.consistency === 'bounded' ? [op.maxStalenessMs ?? 0] : [])))].sort((a, b) => a - b);
  const kindOrder = ['put', 'cas', 'delete', `get ${options.readMode}`, 'get serializable', ...bounds.map(boundedKind)];
  const groups = new Map<string, BenchOperation[]>();
  for (const op of options.operations) {
    if (op.clientRegion === undefined) continue;
    const key = `${op.clientRegion}\u0000${operationKind(op, options.readMode)}`;
    const list = groups.get(key) ?? [];
    list.push(op);
    groups.set(key, list);
  }
  const rows: RegionLatencyRow[] = [];
  for (const region of options.regions) {
    for (const kind of kindOrder) {
      const list = groups.get(`${region}\u0000${kind}`);
      if (list === undefined) continue;
      const ok = list.filter((op) => op.outcome === 'ok');
      const summary = summarize(ok.map((op) => op.completedAt - op.invokedAt));
      rows.push({
        region,
        kind,
        count: list.length,
        ok: ok.length,
        okPerS: ok.length / Math.max(0.001, options.durationS),
        p50Ms: summary.p50Ms,
        p99Ms: summary.p99Ms,
      });
    }
  }
  return rows;
}

function operationKind(op: BenchOperation, readMode: 'read-index' | 'lease'): string {
  if (op.input.kind !== 'get') return op.input.kind;
  if (op.consistency === 'bounded') return boundedKind(op.maxStalenessMs ?? 0);
  return op.consistency === 'serializable' ? 'get serializable' : `get ${readMode}`;
}

/** `get bounded 5s` (the staleness bound, in seconds when whole). */
function boundedKind(maxStalenessMs: number): string {
  return `get bounded ${maxStalenessMs % 1000 === 0 ? `${maxStalenessMs / 1000}s` : `${maxStalenessMs}ms`}`;
}

function summarize(latenciesMs: readonly number[]): LatencySummary {
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  let max = 0;
  let sum = 0;
  for (const ms of latenciesMs) {
    histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
    max = Math.max(max, ms);
    sum += ms;
  }
  const at = (p: number): number => (latenciesMs.length === 0 ? 0 : histogram.getValueAtPercentile(p) / 1000);
  const summary = {
    count: latenciesMs.length,
    p50Ms: at(50),
    p90Ms: at(90),
    p99Ms: at(99),
    p999Ms: at(99.9),
    maxMs: max,
    meanMs: latenciesMs.length === 0 ? 0 : sum / latenciesMs.length,
  };
  histogram.destroy();
  return summary;
}

function percentileSorted(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export function computeFigures(options: {
  operations: readonly BenchOperation[];
  windows: readonly FaultWindow[];
  leaderSamples: readonly LeaderSample[];
  /** Clock times bounding the workload. */
  workloadStartMs: number;
  workloadEndMs: number;
  /** The client regions (--regions), for the per-region table, and how leaders serve linearizable reads. */
  clientRegions?: readonly string[];
  readMode?: 'read-index' | 'lease';
  /** The leader-region preference the target was given, and each node's region. */
  leaderPreference?: { region: string; regionOf: (node: string) => string };
}): RunFigures {
  const { workloadStartMs, workloadEndMs } = options;
  const workload = options.operations.filter(
    (op) => op.clientId > 0 && op.invokedAt >= workloadStartMs && op.invokedAt <= workloadEndMs,
  );
  const ok = workload.filter((op) => op.outcome === 'ok');
  const durationS = Math.max(0.001, (workloadEndMs - workloadStartMs) / 1000);
  const latencies = ok.map((op) => op.completedAt - op.invokedAt);
  const byKind: Record<string, number[]> = {};
  for (const op of ok) {
    const list = byKind[op.input.kind] ?? [];
    list.push(op.completedAt - op.invokedAt);
    byKind[op.input.kind] = list;
  }
  const timeline = buildTimeline({ operations: workload, workloadStartMs, workloadEndMs });
  return {
    durationS,
    operations: {
      total: workload.length,
      ok: ok.length,
      failed: workload.filter((op) => op.outcome === 'failed').length,
      unknown: workload.filter((op) => op.outcome === 'unknown').length,
    },
    throughputOkPerS: ok.length / durationS,
    latency: summarize(latencies),
    latencyByKind: Object.fromEntries(Object.entries(byKind).map(([kind, list]) => [kind, summarize(list)])),
    timeline,
    latencyTimeline: buildLatencyTimeline({ ok, workloadStartMs }),
    latencyDistribution: buildDistribution(latencies),
    recoveries: options.windows
      .filter((w) => w.skipped === undefined)
      .map((w) => recoveryOf({ window: w, ok, timeline, workloadStartMs })),
    leaderChanges: countLeaderChanges(options.leaderSamples),
    leaderTimeline: options.leaderSamples
      .filter((s) => s.leader !== undefined)
      .map((s) => ({ t: (s.atMs - workloadStartMs) / 1000, leader: s.leader as string })),
    ...(options.leaderPreference === undefined
      ? {}
      : {
          leaderPreference: {
            region: options.leaderPreference.region,
            returns: preferredLeaderReturns({
              windows: options.windows,
              leaderSamples: options.leaderSamples,
              preferredRegion: options.leaderPreference.region,
              regionOf: options.leaderPreference.regionOf,
              workloadStartMs,
            }),
          },
        }),
    ...(options.clientRegions === undefined || options.clientRegions.length === 0
      ? {}
      : {
          byClientRegion: regionLatencyTable({
            operations: workload,
            regions: options.clientRegions,
            durationS,
            readMode: options.readMode ?? 'read-index',
          }),
        }),
  };
}

function buildTimeline(options: {
  operations: readonly BenchOperation[];
  workloadStartMs: number;
  workloadEndMs: number;
}): TimelinePoint[] {
  const buckets = Math.max(1, Math.ceil((options.workloadEndMs - options.workloadStartMs) / BUCKET_MS));
  const points: TimelinePoint[] = Array.from({ length: buckets }, (_, i) => ({
    t: (i * BUCKET_MS) / 1000,
    ok: 0,
    failed: 0,
    unknown: 0,
  }));
  for (const op of options.operations) {
    const index = Math.floor((op.completedAt - options.workloadStartMs) / BUCKET_MS);
    const point = points[Math.min(points.length - 1, Math.max(0, index))] as TimelinePoint;
    point[op.outcome] += 1;
  }
  return points;
}

function buildLatencyTimeline(options: { ok: readonly BenchOperation[]; workloadStartMs: number }): LatencyPoint[] {
  const perSecond = new Map<number, number[]>();
  for (const op of options.ok) {
    const second = Math.floor((op.completedAt - options.workloadStartMs) / 1000);
    const list = perSecond.get(second) ?? [];
    list.push(op.completedAt - op.invokedAt);
    perSecond.set(second, list);
  }
  return [...perSecond.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([t, list]) => {
      const sorted = list.sort((a, b) => a - b);
      return { t, p50Ms: percentileSorted(sorted, 50), p99Ms: percentileSorted(sorted, 99) };
    });
}

function buildDistribution(latenciesMs: readonly number[]): { upToMs: number; count: number }[] {
  // Logarithmic buckets: 0.125 ms doubling up to ~2 minutes.
  const bounds: number[] = [];
  for (let bound = 0.125; bound < 150_000; bound *= 2) bounds.push(bound);
  const counts = new Array<number>(bounds.length).fill(0);
  for (const ms of latenciesMs) {
    let index = bounds.findIndex((b) => ms <= b);
    if (index < 0) index = bounds.length - 1;
    counts[index] = (counts[index] ?? 0) + 1;
  }
  return bounds.map((upToMs, i) => ({ upToMs, count: counts[i] ?? 0 })).filter((_, i, all) => {
    const first = all.findIndex((b) => b.count > 0);
    const last = all.length - 1 - [...all].reverse().findIndex((b) => b.count > 0);
    return first >= 0 && i >= first && i <= last;
  });
}

function recoveryOf(options: {
  window: FaultWindow;
  ok: readonly BenchOperation[];
  timeline: readonly TimelinePoint[];
  workloadStartMs: number;
}): FaultRecovery {
  const { window, ok, timeline, workloadStartMs } = options;
  const startRel = window.startMs - workloadStartMs;
  const endRel = window.endMs - workloadStartMs;
  const startBucket = Math.max(0, Math.floor(startRel / BUCKET_MS));
  const preBuckets = timeline.slice(Math.max(0, startBucket - 50), startBucket);
  const preFaultRate = preBuckets.length === 0 ? 0 : preBuckets.reduce((s, p) => s + p.ok, 0) / (preBuckets.length * 0.1);
  const firstOk = ok.find((op) => op.invokedAt >= window.startMs);
  const firstWriteAt = ok.reduce((earliest, op) => (op.input.kind !== 'get' && op.invokedAt >= window.startMs ? Math.min(earliest, op.completedAt) : earliest), Number.POSITIVE_INFINITY);
  let throughputBackMs: number | null = null;
  for (let i = startBucket; i + 10 <= timeline.length; i += 1) {
    const windowOk = timeline.slice(i, i + 10).reduce((s, p) => s + p.ok, 0);
    if (windowOk >= 0.5 * preFaultRate) {
      throughputBackMs = Math.max(0, (i + 10) * BUCKET_MS - startRel);
      break;
    }
  }
  if (preFaultRate === 0) throughputBackMs = null;
  const lastBucket = Math.min(timeline.length, Math.ceil((endRel + 5000) / BUCKET_MS));
  let longest = 0;
  let run = 0;
  for (let i = startBucket; i < lastBucket; i += 1) {
    run = (timeline[i]?.ok ?? 0) === 0 ? run + 1 : 0;
    longest = Math.max(longest, run);
  }
  return {
    index: window.index,
    kind: window.kind,
    startS: startRel / 1000,
    endS: endRel / 1000,
    preFaultRate,
    firstSuccessMs: firstOk === undefined ? null : firstOk.completedAt - window.startMs,
    firstWriteMs: Number.isFinite(firstWriteAt) ? firstWriteAt - window.startMs : null,
    throughputBackMs,
    unavailableMs: longest * BUCKET_MS,
  };
}

function countLeaderChanges(samples: readonly LeaderSample[]): number {
  let changes = 0;
  let last: string | undefined;
  for (const sample of samples) {
    if (sample.leader === undefined) continue;
    if (last !== undefined && sample.leader !== last) changes += 1;
    last = sample.leader;
  }
  return changes;
}

/** p50 and p99 of a list of durations (null entries are skipped). */
export function spread(values: readonly (number | null)[]): { p50: number | null; p99: number | null; count: number } {
  const present = values.filter((v): v is number => v !== null).sort((a, b) => a - b);
  if (present.length === 0) return { p50: null, p99: null, count: 0 };
  return { p50: percentileSorted(present, 50), p99: percentileSorted(present, 99), count: present.length };
}
