/**
 * Defects planted on purpose, for the simulator's self-test only: a broken node must be caught
 * (packages/sim, `--defect`). Reached through the package's `@holdfast/storage/planted-defects`
 * entry, which only the simulator imports; the node and the CLI never set them, and the main
 * entry does not export them. All off by default.
 */
export interface PlantedDefects {
  /**
   * State record reads skip the checksum comparison of the seal (`openRecord`): a record whose
   * bytes changed at rest is returned as data. The seal's framing (length, marker) is still read.
   */
  skipRecordChecksum: boolean;
}

const planted: PlantedDefects = { skipRecordChecksum: false };

/** The defects in force (read on every record read). */
export function plantedDefects(): Readonly<PlantedDefects> {
  return planted;
}

/** Plants (or clears) defects for this process until the next call. */
export function plantDefects(defects: Partial<PlantedDefects>): void {
  planted.skipRecordChecksum = defects.skipRecordChecksum ?? false;
}
