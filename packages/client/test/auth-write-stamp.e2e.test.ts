/**
 * A write taken by a follower that applies auth changes late is not applied once the change that
 * revoked its writer's right was applied before it: real node processes on loopback (needs
 * packages/server built). One follower writes its log slowly (an fsync-delay failpoint), so it
 * applies a revocation seconds after the leader committed it; a write arriving there meanwhile
 * passes its check on arrival against the lagging auth state and is forwarded, stamped with the
 * revision it was checked at, and the leader's apply refuses it (auth-changed). The SDK sends a
 * write refused so again, checked against the newer state: a writer whose right is gone is then
 * refused, one who keeps it is applied. A placement change (a logged admin change) is stamped and
 * refused the same way; a membership change (a configuration entry) is refused by the leader
 * before it proposes it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '@holdfast/protocol';
import { LocalCluster } from '@holdfast/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AttemptReport, createClient, type HoldfastClient, PermissionDeniedError } from '../src/index.js';

/** How long the slow follower waits after each synced log write: the window its applied state lags. */
const SLOW_FSYNC_DELAY_MS = 3000;
const TOKEN_TTL_MS = 600_000;
const SLOW_DEADLINE_MS = 30_000;
/** Rounds at most: a round in which the slow follower applied the revocation before the write arrived proves nothing. */
const ROUNDS_MAX = 3;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A unary call with exactly the token given (no SDK in between). */
function rawCall<T>(address: string, service: 'KvClient' | 'AuthClient' | 'ClusterClient', method: string, request: object, token?: string): Promise<T> {
  const protos = loadProtos();
  const client = new protos[service](address, grpc.credentials.createInsecure()) as unknown as Record<string, (...args: unknown[]) => void> & grpc.Client;
  const metadata = new grpc.Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  return new Promise<T>((resolve, reject) => {
    client[method]!.call(client, request, metadata, { deadline: Date.now() + SLOW_DEADLINE_MS }, (error: grpc.ServiceError | null, response: T) => {
      client.close();
      if (error) reject(error);
      else resolve(response);
    });
  });
}

describe('writes on a follower that applies auth changes late', () => {
  let dataDir: string;
  let cluster: LocalCluster;
  let slowId = 0;
  let fastEndpoints: string[];
  const clients: HoldfastClient[] = [];
  let root: HoldfastClient;

  const slowAddress = (): string => cluster.member(slowId).clientAddress;

  /** An SDK client of `user` that talks to the slow follower only, reporting each attempt's outcome. */
  function clientOnSlow(user: string, attempts: AttemptReport[]): HoldfastClient {
    const client = createClient({
      endpoints: [slowAddress()],
      resolveAddress: () => undefined,
      deadlineMs: SLOW_DEADLINE_MS,
      attemptTimeoutMs: 15_000,
      credentials: { user, password: `${user}-password` },
      onAttempt: (report) => {
        if (report.call === 'put') attempts.push(report);
      },
    });
    clients.push(client);
    return client;
  }

  async function appliedOnSlow(revision: number): Promise<void> {
    for (let asked = 0; asked < 300; asked++) {
      const status = await rawCall<{ revision: number }>(slowAddress(), 'AuthClient', 'authStatus', {}, await root.authToken()).catch(() => ({ revision: -1 }));
      if (status.revision >= revision) return;
      await sleep(100);
    }
    throw new Error(`member ${slowId} did not apply auth revision ${revision} within 30 s`);
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'holdfast-auth-write-e2e-'));
    cluster = await LocalCluster.start({
      dataDir,
      size: 3,
      logLevel: 'warn',
      extraArgs: (id) => (id === slowId ? ['--failpoints', `fsync-delay-ms=${SLOW_FSYNC_DELAY_MS}`] : []),
    });
    const leader = await cluster.waitForLeader(20_000);
    slowId = cluster.members.find((member) => member.id !== leader.id)!.id;
    fastEndpoints = cluster.members.filter((member) => member.id !== slowId).map((member) => member.clientAddress);
    await cluster.restart(slowId);
    await cluster.waitForLeader(20_000);
    const setup = createClient({ endpoints: fastEndpoints, deadlineMs: 30_000, attemptTimeoutMs: 10_000 });
    clients.push(setup);
    await setup.auth.roleAdd('root');
    await setup.auth.userAdd('root', 'root-password');
    await setup.auth.userGrantRole('root', 'root');
    await setup.auth.roleAdd('app');
    await setup.auth.roleGrant('app', { type: 'keys', key: 'app/', prefix: true, access: 'readwrite' });
    await setup.auth.userAdd('alice', 'alice-password');
    await setup.auth.userAdd('bob', 'bob-password');
    await setup.auth.userGrantRole('bob', 'app');
    await setup.auth.roleAdd('placers');
    await setup.auth.roleGrant('placers', { type: 'admin', right: 'membership' });
    await setup.auth.userAdd('carol', 'carol-password');
    await setup.auth.enable(TOKEN_TTL_MS);
    root = createClient({ endpoints: fastEndpoints, deadlineMs: 30_000, attemptTimeoutMs: 10_000, credentials: { user: 'root', password: 'root-password' } });
    clients.push(root);
  }, 120_000);

  afterAll(async () => {
    for (const made of clients) made.close();
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses the revoked writer\'s write at apply, and applies the still permitted writer\'s on its resend', async () => {
    const bobAttempts: AttemptReport[] = [];
    const aliceAttempts: AttemptReport[] = [];
    const bob = clientOnSlow('bob', bobAttempts);
    const alice = clientOnSlow('alice', aliceAttempts);
    await bob.authToken();
    for (let round = 1; round <= ROUNDS_MAX; round++) {
      await appliedOnSlow((await root.auth.userGrantRole('alice', 'app')).revision);
      const aliceToken = await alice.authToken();
      await root.auth.userRevokeRole('alice', 'app');
      bobAttempts.length = 0;
      const key = `app/${round}`;
      const [raw, bobPut] = await Promise.allSettled([
        rawCall(slowAddress(), 'KvClient', 'put', { key: Buffer.from(key), value: Buffer.from('alice') }, aliceToken),
        bob.put(`${key}/bob`, 'bob'),
      ]);
      const refusal = raw.status === 'rejected' ? (raw.reason as grpc.ServiceError) : undefined;
      // Refused on arrival: the slow follower had applied the revocation already; this round proves nothing.
      if (refusal?.code === grpc.status.PERMISSION_DENIED) continue;
      expect(refusal?.code, refusal?.details ?? 'the revoked writer\'s put was applied').toBe(grpc.status.ABORTED);
      expect(refusal?.metadata.get('holdfast-error')).toEqual(['auth-changed']);
      expect(await root.get(key)).toBeUndefined();
      // Bob's write was overtaken by the same change, sent again by the SDK, and applied.
      expect(bobPut.status).toBe('fulfilled');
      expect((await root.get(`${key}/bob`))?.valueString()).toBe('bob');
      if (bobAttempts[0]?.outcome === 'auth-changed') expect(bobAttempts.map((attempt) => attempt.outcome)).toEqual(['auth-changed', 'ok']);
      // The follower applied the revocation before it answered: alice's write through the SDK is refused.
      aliceAttempts.length = 0;
      await expect(alice.put(key, 'alice')).rejects.toBeInstanceOf(PermissionDeniedError);
      expect(await root.get(key)).toBeUndefined();
      return;
    }
    throw new Error(`the slow follower applied the revocation before the write in each of ${ROUNDS_MAX} rounds`);
  }, 120_000);

  it('refuses a placement change by an admin whose membership right was revoked before it', async () => {
    const carol = clientOnSlow('carol', []);
    const before = (await root.status()).placement;
    for (let round = 1; round <= ROUNDS_MAX; round++) {
      await appliedOnSlow((await root.auth.userGrantRole('carol', 'placers')).revision);
      const carolToken = await carol.authToken();
      await root.auth.userRevokeRole('carol', 'placers');
      const regions = [`revoked-${round}`];
      const refusal = await rawCall(slowAddress(), 'ClusterClient', 'setPlacement', { leaderRegions: regions, leaderRegionsSet: true, survive: '' }, carolToken).then(
        () => undefined,
        (error: grpc.ServiceError) => error,
      );
      // Refused on arrival: the slow follower had applied the revocation already; this round proves nothing.
      if (refusal?.code === grpc.status.PERMISSION_DENIED) continue;
      expect(refusal?.code, refusal?.details ?? 'the revoked admin\'s placement change was applied').toBe(grpc.status.ABORTED);
      expect(refusal?.metadata.get('holdfast-error')).toEqual(['auth-changed']);
      expect((await root.status()).placement).toEqual(before);
      // Through the SDK, sent again after the follower applied the revocation: refused on arrival.
      await expect(carol.setPlacement({ leaderRegions: regions })).rejects.toBeInstanceOf(PermissionDeniedError);
      expect((await root.status()).placement).toEqual(before);
      return;
    }
    throw new Error(`the slow follower applied the revocation before the placement change in each of ${ROUNDS_MAX} rounds`);
  }, 120_000);

  it('refuses a membership change by an admin whose membership right was revoked before it', async () => {
    const carol = clientOnSlow('carol', []);
    const membersBefore = (await root.members.list()).map((member) => member.id);
    const learner = { name: 'never-started', clientAddress: '127.0.0.1:9', peerAddress: '127.0.0.1:9' };
    for (let round = 1; round <= ROUNDS_MAX; round++) {
      await appliedOnSlow((await root.auth.userGrantRole('carol', 'placers')).revision);
      const carolToken = await carol.authToken();
      await root.auth.userRevokeRole('carol', 'placers');
      const refusal = await rawCall(slowAddress(), 'ClusterClient', 'memberAddLearner', { ...learner, region: '' }, carolToken).then(
        () => undefined,
        (error: grpc.ServiceError) => error,
      );
      // Refused on arrival: the slow follower had applied the revocation already; this round proves nothing.
      if (refusal?.code === grpc.status.PERMISSION_DENIED) continue;
      expect(refusal?.code, refusal?.details ?? 'the revoked admin\'s learner was added').toBe(grpc.status.ABORTED);
      expect(refusal?.metadata.get('holdfast-error')).toEqual(['auth-changed']);
      expect((await root.members.list()).map((member) => member.id)).toEqual(membersBefore);
      // Through the SDK, sent again after the follower applied the revocation: refused on arrival.
      await expect(carol.members.addLearner(learner)).rejects.toBeInstanceOf(PermissionDeniedError);
      expect((await root.members.list()).map((member) => member.id)).toEqual(membersBefore);
      return;
    }
    throw new Error(`the slow follower applied the revocation before the membership change in each of ${ROUNDS_MAX} rounds`);
  }, 120_000);
});
