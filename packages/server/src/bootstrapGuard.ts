/**
 * Before an empty data dir bootstraps from the initial cluster: is the cluster it would join
 * already running with this member's id in it? A member that lost its data and bootstraps again
 * under its old id may forget votes it cast and entries it acknowledged, which Raft's safety
 * rests on. So the node asks the other initial members first and refuses to start when they
 * show that the cluster has worked with this member or holds data.
 *
 * A late first start (the others formed the cluster before this member's first start, and no
 * write has happened yet) is allowed: nothing was acknowledged by a member that never ran.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Protos, StatusResponse__Output } from '@holdfast/protocol';
import { ConfigError } from './config-error.js';
import type { NodeConfig } from './config.js';

/** How long the other initial members are given to answer, in all. */
export const BOOTSTRAP_PROBE_MS = 2000;

interface Dial {
  readonly protos: Protos;
  readonly credentials: grpc.ChannelCredentials;
}

function ownStatus(dial: Dial, address: string, deadlineMs: number): Promise<StatusResponse__Output | undefined> {
  const client = new dial.protos.ClusterClient(address, dial.credentials);
  return new Promise((resolve) => {
    client.status({ localOnly: true }, { deadline: deadlineMs }, (error, response) => {
      client.close();
      resolve(error || !response ? undefined : response);
    });
  });
}

/** Why the answer of the member at `address` shows that the cluster ran with member `id`, or ''. */
export function runningClusterEvidence(id: number, clusterId: string, address: string, answer: StatusResponse__Output): string {
  const self = answer.members[0];
  if (!self || answer.header?.clusterId !== clusterId || Number(self.leaderId) === 0) return '';
  const revision = Number(answer.header?.revision ?? 0);
  if (revision > 0) return `${address} (member ${Number(self.member?.id ?? 0)}) follows leader ${Number(self.leaderId)} at revision ${revision}`;
  const heard = self.followers.find((f) => Number(f.id) === id && Number(f.matchIndex) > 0);
  if (self.role === 'leader' && heard) return `the leader at ${address} holds entries member ${id} acknowledged (match index ${Number(heard.matchIndex)})`;
  return '';
}

/** Throws a ConfigError naming what was found when the cluster already runs with this member. */
export async function refuseSecondBootstrap(config: NodeConfig, dial: Dial): Promise<void> {
  const others = config.initialCluster.filter((m) => m.id !== config.id);
  if (others.length === 0) return;
  const deadlineMs = Date.now() + BOOTSTRAP_PROBE_MS;
  const answers = await Promise.all(others.map(async (m) => ({ address: m.clientAddress, answer: await ownStatus(dial, m.clientAddress, deadlineMs) })));
  for (const { address, answer } of answers) {
    const evidence = answer ? runningClusterEvidence(config.id, config.clusterId, address, answer) : '';
    if (evidence === '') continue;
    throw new ConfigError(
      'dataDir',
      `${config.dataDir} is empty, but cluster ${config.clusterId} already runs with member ${config.id} in it (${evidence}). ` +
        `Bootstrapping again under id ${config.id} could forget votes and entries it acknowledged. ` +
        `Start it on its old data, or replace it: remove member ${config.id}, add this node as a learner and start it with --join ` +
        `under the id it gets (docs/operations.md, "A node lost its disk"; deploy/kubernetes/member-start.mjs does this in a pod)`,
    );
  }
}
