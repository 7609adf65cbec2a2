import { Prng } from '@holdfast/raft';

/** Every fault the bench knows, by name. */
export const NEMESIS_KINDS = [
  'kill-leader',
  'kill-random',
  'pause-leader',
  'pause-random',
  'wipe',
  'partition-leader',
  'partition-minority',
  'partition-bridge',
  'partition-ring',
  'partition-one-way',
  'latency',
  'transfer-leadership',
  'member-churn',
  'fsync-delay',
  'fsync-fail',
  'disk-full',
  'cloudflare',
  'corrupt-log-tail',
  'truncate-log-tail',
  'corrupt-state-table',
  'region-outage',
  'region-partition',
] as const;

export type NemesisKind = (typeof NEMESIS_KINDS)[number];

/** Faults of a whole emulated region (--regions); asked for by name, not part of `all`. */
export const REGION_KINDS = ['region-outage', 'region-partition'] as const satisfies readonly NemesisKind[];

/** Damage to a stopped member's data files (damage.ts); asked for by name, not part of `all`. */
export const CORRUPTION_KINDS = ['corrupt-log-tail', 'truncate-log-tail', 'corrupt-state-table'] as const satisfies readonly NemesisKind[];

export function isCorruptionKind(kind: NemesisKind): kind is (typeof CORRUPTION_KINDS)[number] {
  return (CORRUPTION_KINDS as readonly NemesisKind[]).includes(kind);
}

/** Names accepted by --nemesis that stand for several kinds. */
export const NEMESIS_GROUPS: Record<string, readonly NemesisKind[]> = {
  kill: ['kill-leader', 'kill-random'],
  pause: ['pause-leader', 'pause-random'],
  partition: ['partition-leader', 'partition-minority', 'partition-bridge', 'partition-ring'],
  'one-way': ['partition-one-way'],
  transfer: ['transfer-leadership'],
  membership: ['member-churn'],
  disk: ['fsync-delay', 'fsync-fail', 'disk-full'],
  corrupt: CORRUPTION_KINDS,
  region: REGION_KINDS,
  // Every fault that leaves data at rest intact and needs no regions; `all,corrupt` adds the
  // damage to data at rest, `all,region` the region faults.
  all: NEMESIS_KINDS.filter((kind) => !isCorruptionKind(kind) && !(REGION_KINDS as readonly NemesisKind[]).includes(kind)),
};

/**
 * Nemeses that run for the whole workload beside the scheduled faults rather than in windows:
 * `bad-credentials` (bad-credentials.ts; runs the cluster with TLS and auth on). Asked for by
 * name, not part of `all`.
 */
export const BACKGROUND_NEMESES = ['bad-credentials'] as const;
export type BackgroundNemesis = (typeof BACKGROUND_NEMESES)[number];

/** The background nemeses named in a --nemesis list. */
export function parseBackgroundNemeses(text: string): BackgroundNemesis[] {
  const names = text.split(',').map((raw) => raw.trim());
  return BACKGROUND_NEMESES.filter((name) => names.includes(name));
}

export class ScheduleError extends Error {
  override readonly name = 'ScheduleError';
  readonly code = 'bad-schedule';
}

/** Parse "kill,pause,partition-leader" into distinct kinds, in the order given. */
export function parseNemesisList(text: string): NemesisKind[] {
  const kinds: NemesisKind[] = [];
  for (const raw of text.split(',')) {
    const name = raw.trim();
    if (name === '' || name === 'none' || (BACKGROUND_NEMESES as readonly string[]).includes(name)) continue;
    const group = NEMESIS_GROUPS[name];
    const expanded = group ?? ((NEMESIS_KINDS as readonly string[]).includes(name) ? [name as NemesisKind] : undefined);
    if (expanded === undefined) {
      throw new ScheduleError(
        `unknown nemesis ${JSON.stringify(name)}; known: ${[...Object.keys(NEMESIS_GROUPS), ...NEMESIS_KINDS, ...BACKGROUND_NEMESES].join(', ')}`,
      );
    }
    for (const kind of expanded) if (!kinds.includes(kind)) kinds.push(kind);
  }
  return kinds;
}

export interface ScheduledFault {
  index: number;
  kind: NemesisKind;
  /** Milliseconds after the workload starts. */
  startMs: number;
  /** How long the fault is held before it is healed. */
  durationMs: number;
  /** Seed for the choices made when the fault starts (which node, which links). */
  choiceSeed: number;
}

export interface ScheduleOptions {
  seed: string | number;
  kinds: readonly NemesisKind[];
  runMs: number;
  /** No fault before this. */
  warmupMs: number;
  /** Every fault is healed at least this long before the end of the run. */
  cooldownMs: number;
  faultMs: { min: number; max: number };
  quietMs: { min: number; max: number };
}

/**
 * The fault plan of a run: a pure function of its options, so the same seed gives the same
 * schedule. Faults do not overlap; each round uses every chosen kind once, in a shuffled order.
 */
export function generateSchedule(options: ScheduleOptions): ScheduledFault[] {
  validateScheduleOptions(options);
  const prng = Prng.fromText(`schedule:${options.seed}`);
  const faults: ScheduledFault[] = [];
  if (options.kinds.length === 0) return faults;
  let atMs = options.warmupMs;
  let round: NemesisKind[] = [];
  for (;;) {
    if (round.length === 0) round = prng.shuffle(options.kinds);
    const kind = round.shift() as NemesisKind;
    const durationMs = Math.round(prng.float(options.faultMs.min, options.faultMs.max));
    if (atMs + durationMs > options.runMs - options.cooldownMs) break;
    faults.push({ index: faults.length, kind, startMs: Math.round(atMs), durationMs, choiceSeed: prng.nextUint32() });
    atMs += durationMs + prng.float(options.quietMs.min, options.quietMs.max);
  }
  return faults;
}

function validateScheduleOptions(options: ScheduleOptions): void {
  const { faultMs, quietMs } = options;
  if (!(faultMs.min > 0 && faultMs.max >= faultMs.min)) {
    throw new ScheduleError(`fault duration range must satisfy 0 < min <= max, got ${faultMs.min}..${faultMs.max}`);
  }
  if (!(quietMs.min >= 0 && quietMs.max >= quietMs.min)) {
    throw new ScheduleError(`quiet range must satisfy 0 <= min <= max, got ${quietMs.min}..${quietMs.max}`);
  }
  if (!(options.runMs > 0 && options.warmupMs >= 0 && options.cooldownMs >= 0)) {
    throw new ScheduleError(`run, warm-up and cool-down must be >= 0 (run ${options.runMs} ms)`);
  }
}
