import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where `cluster up` keeps its data when no --data-dir is given, relative to the current directory. */
export const defaultClusterDataDir = join('.data', 'cluster');

/** The node's own default client address and the two after it: a hand-started local cluster. */
export const fallbackEndpoints = ['127.0.0.1:7001', '127.0.0.1:7002', '127.0.0.1:7003'];

export interface EndpointSources {
  /** The --endpoints flag. */
  flag: string | undefined;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

export interface ResolvedEndpoints {
  endpoints: string[];
  /** Where they came from, for messages: flag, HOLDFAST_ENDPOINTS, a cluster.json path, or defaults. */
  source: string;
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

/** Client addresses of the members in a `cluster up` cluster.json, or undefined if absent/unreadable. */
export function endpointsFromClusterFile(path: string): string[] | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
  const members = (parsed as { members?: unknown }).members;
  if (!Array.isArray(members)) return undefined;
  const endpoints = (members as ClusterFileMember[])
    .filter((member) => member.removed !== true && typeof member.clientAddress === 'string')
    .map((member) => member.clientAddress as string);
  return endpoints.length > 0 ? endpoints : undefined;
}

/** --endpoints, else HOLDFAST_ENDPOINTS, else ./.data/cluster/cluster.json, else 127.0.0.1:7001-7003. */
export function resolveEndpoints(sources: EndpointSources): ResolvedEndpoints {
  if (sources.flag !== undefined && splitEndpoints(sources.flag).length > 0) {
    return { endpoints: splitEndpoints(sources.flag), source: '--endpoints' };
  }
  const fromEnv = sources.env['HOLDFAST_ENDPOINTS'];
  if (fromEnv !== undefined && splitEndpoints(fromEnv).length > 0) {
    return { endpoints: splitEndpoints(fromEnv), source: 'HOLDFAST_ENDPOINTS' };
  }
  const clusterFile = resolve(sources.cwd, defaultClusterDataDir, 'cluster.json');
  const fromFile = endpointsFromClusterFile(clusterFile);
  if (fromFile !== undefined) return { endpoints: fromFile, source: clusterFile };
  return { endpoints: [...fallbackEndpoints], source: 'defaults' };
}
