/**
 * Which cluster and member a data directory belongs to (`<dataDir>/cluster-identity.json`).
 *
 * The log and the state do not say whose they are, so a data dir started under another member id
 * or another cluster id would serve as that member. The file is written the first time a node
 * runs on a log (bootstrap, a joiner's first start, or the first start of a data dir written by
 * an older release) and by `holdfast recover`; from then on a start under another id or cluster
 * id is refused. After a recovery the cluster id carries a new epoch (`prod-kv` → `prod-kv@2`),
 * so the survivor must be started under the new id and the lost members' data, still under the
 * old one, cannot speak to it: every peer batch carries the cluster id (transport.ts).
 */
import { join } from 'node:path';
import { readFileIfExists, writeFileDurably } from '@holdfast/storage';
import { ConfigError } from './config-error.js';

export const CLUSTER_IDENTITY_FILE = 'cluster-identity.json';

export interface ClusterIdentity {
  readonly clusterId: string;
  readonly memberId: number;
  /** Set by `holdfast recover`: the cluster id before, and when. */
  readonly recoveredFrom?: { readonly clusterId: string; readonly atMs: number };
}

export function clusterIdentityPath(dataDir: string): string {
  return join(dataDir, CLUSTER_IDENTITY_FILE);
}

/** The data dir's identity, undefined when it has none; throws ConfigError when the file is damaged. */
export async function readClusterIdentity(dataDir: string): Promise<ClusterIdentity | undefined> {
  const path = clusterIdentityPath(dataDir);
  const bytes = await readFileIfExists(path);
  if (bytes === undefined) return undefined;
  let parsed: Partial<ClusterIdentity>;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<ClusterIdentity>;
  } catch {
    throw new ConfigError('dataDir', `${path} is damaged (not JSON); it names the cluster and member this data dir belongs to`);
  }
  const { clusterId, memberId } = parsed;
  if (typeof clusterId !== 'string' || clusterId === '' || typeof memberId !== 'number' || !Number.isSafeInteger(memberId) || memberId < 1) {
    throw new ConfigError('dataDir', `${path} is damaged: it holds no cluster id and member id`);
  }
  return parsed as ClusterIdentity;
}

export async function writeClusterIdentity(dataDir: string, identity: ClusterIdentity): Promise<void> {
  await writeFileDurably(clusterIdentityPath(dataDir), Buffer.from(`${JSON.stringify(identity)}\n`));
}

/**
 * Refuses a start under another member id or cluster id than the data dir's; writes the
 * identity when the data dir holds a log but no identity yet.
 */
export async function checkClusterIdentity(
  config: { readonly dataDir: string; readonly id: number; readonly clusterId: string },
  options: { readonly holdsLog: boolean },
): Promise<void> {
  const identity = await readClusterIdentity(config.dataDir);
  if (identity === undefined) {
    if (options.holdsLog) await writeClusterIdentity(config.dataDir, { clusterId: config.clusterId, memberId: config.id });
    return;
  }
  if (identity.memberId !== config.id) {
    throw new ConfigError('id', `${config.dataDir} holds the data of member ${identity.memberId}, not ${config.id} (${CLUSTER_IDENTITY_FILE})`);
  }
  if (identity.clusterId !== config.clusterId) {
    const recovered =
      identity.recoveredFrom === undefined
        ? ''
        : `; it was recovered from cluster ${identity.recoveredFrom.clusterId} at ${new Date(identity.recoveredFrom.atMs).toISOString()} (holdfast recover)`;
    throw new ConfigError('clusterId', `${config.dataDir} belongs to cluster ${identity.clusterId}, not ${config.clusterId}${recovered}: start it with --cluster-id ${identity.clusterId}`);
  }
}

/** The cluster id with its epoch one higher: `prod-kv` → `prod-kv@2`, `prod-kv@2` → `prod-kv@3`. */
export function nextClusterEpoch(clusterId: string): string {
  const match = /^(.*)@(\d+)$/.exec(clusterId);
  if (match === null) return `${clusterId}@2`;
  return `${match[1]}@${Number(match[2]) + 1}`;
}
