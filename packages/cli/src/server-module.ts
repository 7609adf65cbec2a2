// @holdfast/server is loaded only by `holdfast node` and `holdfast cluster up`, so that client
// commands start without loading the node's code.
import type { LocalCluster, LocalMember } from '@holdfast/server';

export type LocalClusterHandle = LocalCluster;
export type LocalClusterMember = LocalMember;

export function loadServerModule(): Promise<typeof import('@holdfast/server')> {
  return import('@holdfast/server');
}
