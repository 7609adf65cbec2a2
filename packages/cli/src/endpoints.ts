import { join, relative } from 'node:path';
import { ENDPOINTS_VARIABLE, findEndpoints, splitEndpoints } from '@holdfast/client';

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
  /** Where they came from, for messages: --endpoints, HOLDFAST_ENDPOINTS, a cluster.json path, or defaults. */
  source: string;
  /** The user named them (flag or variable); otherwise the CLI says which it uses. */
  fromUser: boolean;
}

/**
 * --endpoints, else HOLDFAST_ENDPOINTS, else .data/cluster/cluster.json here or in the nearest
 * directory above (as the SDK's findEndpoints), else 127.0.0.1:7001-7003.
 */
export function resolveEndpoints(sources: EndpointSources): ResolvedEndpoints {
  if (sources.flag !== undefined && splitEndpoints(sources.flag).length > 0) {
    return { endpoints: splitEndpoints(sources.flag), source: '--endpoints', fromUser: true };
  }
  const found = findEndpoints({ env: sources.env, cwd: sources.cwd });
  if (found !== undefined) return { ...found, fromUser: found.source === ENDPOINTS_VARIABLE };
  return { endpoints: [...fallbackEndpoints], source: 'defaults', fromUser: false };
}

/** One line for stderr: which endpoints a command uses that the user did not name, and why. */
export function describeEndpoints(resolved: ResolvedEndpoints, cwd: string): string {
  const list = resolved.endpoints.join(',');
  if (resolved.source === 'defaults') {
    return `holdfast: using ${list} (no --endpoints, no ${ENDPOINTS_VARIABLE}, no .data/cluster/cluster.json here or above)`;
  }
  const path = relative(cwd, resolved.source);
  return `holdfast: using ${list} from ${path.startsWith('..') || path === '' ? resolved.source : path}`;
}
