import { InvalidCommandError } from './errors.js';

/**
 * Where the cluster wants its leader and what it must survive: a cluster-wide setting kept in
 * the replicated state (StateMeta.placement), changed only through the log (SetPlacementOp), so
 * every member holds the same one at the same applied index.
 */

/** `member`: any one member may fail. `region`: every member of any one region may fail at once. */
export type SurvivalGoal = 'member' | 'region';

export interface Placement {
  /**
   * Regions the leader should be in, most preferred first. Empty: no preference. A leader in a
   * region not listed (or lower in the list than a caught-up voter's) hands leadership over.
   */
  readonly leaderRegions: readonly string[];
  readonly survive: SurvivalGoal;
}

/** A logged command that replaces the placement setting whole. */
export interface SetPlacementOp {
  readonly type: 'setPlacement';
  readonly placement: Placement;
}

/** The setting of a cluster that never set one. */
export const DEFAULT_PLACEMENT: Placement = { leaderRegions: [], survive: 'member' };

/** Regions a leader preference lists at most. */
export const PLACEMENT_REGIONS_MAX = 16;
/** Bytes of one region name (as a member's region label). */
export const PLACEMENT_REGION_BYTES_MAX = 256;

const survivalGoals = new Set<string>(['member', 'region']);

/**
 * Structural rules of a placement, the same on every replica. Throws InvalidCommandError naming
 * what is wrong.
 */
export function checkPlacementShape(value: unknown): asserts value is Placement {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new InvalidCommandError('placement is not a map');
  const { leaderRegions, survive } = value as Record<string, unknown>;
  if (typeof survive !== 'string' || !survivalGoals.has(survive)) {
    throw new InvalidCommandError(`survival goal ${String(survive)} is unknown (member or region)`);
  }
  if (!Array.isArray(leaderRegions)) throw new InvalidCommandError('leaderRegions must be a list of region names');
  if (leaderRegions.length > PLACEMENT_REGIONS_MAX) {
    throw new InvalidCommandError(`leaderRegions lists ${leaderRegions.length} regions; the limit is ${PLACEMENT_REGIONS_MAX}`);
  }
  const seen = new Set<string>();
  for (const region of leaderRegions) {
    if (typeof region !== 'string' || region === '') throw new InvalidCommandError('a leader region must be a non-empty string');
    if (Buffer.byteLength(region) > PLACEMENT_REGION_BYTES_MAX) {
      throw new InvalidCommandError(`leader region ${JSON.stringify(region.slice(0, 32))} is longer than ${PLACEMENT_REGION_BYTES_MAX} bytes`);
    }
    if (seen.has(region)) throw new InvalidCommandError(`leader region ${JSON.stringify(region)} is listed twice`);
    seen.add(region);
  }
}

/** A copy holding only the placement's own fields (what is stored and hashed). */
export function plainPlacement(placement: Placement): Placement {
  return { leaderRegions: [...placement.leaderRegions], survive: placement.survive };
}
