/**
 * Where a cluster is when the program was not told: the HOLDFAST_ENDPOINTS variable, else the
 * cluster.json that `holdfast cluster up` (`npm start` in the repository) writes. The CLI finds
 * its endpoints the same way, so a program and the CLI run in one directory talk to one cluster.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { InvalidArgumentError } from './errors.js';

/** Where `holdfast cluster up` keeps the members' addresses, below the directory it ran in. */
export const LOCAL_CLUSTER_FILE = join('.data', 'cluster', 'cluster.json');

/** The variable that names the endpoints: `host:port,host:port,...`. */
export const ENDPOINTS_VARIABLE = 'HOLDFAST_ENDPOINTS';

export interface FoundEndpoints {
  endpoints: string[];
  /** Where they came from: `HOLDFAST_ENDPOINTS`, or the path of the cluster.json read. */
  source: string;
}

export interface FindEndpointsOptions {
  /** Default: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where to look for .data/cluster/cluster.json, then in each directory above. Default: process.cwd(). */
  cwd?: string;
}

export function splitEndpoints(list: string): string[] {
  return list
    .split(',')
    .map((endpoint) => endpoint.trim())
    .filter((endpoint) => endpoint !== '');
}

interface ClusterFileMember {
  clientAddress?: unknown;
  removed?: unknown;
}

/** Client addresses of the members in a `cluster up` cluster.json, or undefined if absent or unreadable. */
export function endpointsFromClusterFile(path: string): string[] | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  const members = (parsed as { members?: unknown } | null)?.members;
  if (!Array.isArray(members)) return undefined;
  const endpoints = (members as ClusterFileMember[])
    .filter((member) => member.removed !== true && typeof member.clientAddress === 'string')
    .map((member) => member.clientAddress as string);
  return endpoints.length > 0 ? endpoints : undefined;
}

/** The nearest .data/cluster/cluster.json at or above `dir` that names members. */
function nearestClusterFile(dir: string): FoundEndpoints | undefined {
  for (let current = resolve(dir); ; current = dirname(current)) {
    const path = join(current, LOCAL_CLUSTER_FILE);
    const endpoints = endpointsFromClusterFile(path);
    if (endpoints !== undefined) return { endpoints, source: path };
    if (dirname(current) === current) return undefined;
  }
}

/**
 * HOLDFAST_ENDPOINTS, else the members in the .data/cluster/cluster.json written by `holdfast
 * cluster up`, in `cwd` or the nearest directory above it that has one; undefined if neither.
 */
export function findEndpoints(options: FindEndpointsOptions = {}): FoundEndpoints | undefined {
  const fromEnv = splitEndpoints((options.env ?? process.env)[ENDPOINTS_VARIABLE] ?? '');
  if (fromEnv.length > 0) return { endpoints: fromEnv, source: ENDPOINTS_VARIABLE };
  return nearestClusterFile(options.cwd ?? process.cwd());
}

/**
 * The endpoints findEndpoints finds, for `createClient({ endpoints: discoverEndpoints() })` in
 * development; throws InvalidArgumentError, saying how to give them, when there are none.
 */
export function discoverEndpoints(options: FindEndpointsOptions = {}): string[] {
  const found = findEndpoints(options);
  if (found === undefined) {
    throw new InvalidArgumentError(
      `no endpoints: set ${ENDPOINTS_VARIABLE}=host:port,... or start a local cluster (\`npx holdfast cluster up\`, or \`npm start\` in the repository) in this directory or one above it`,
      { code: 'invalid-argument' },
    );
  }
  return found.endpoints;
}
