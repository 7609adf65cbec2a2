/**
 * A linearizable read on a follower that lags in applying sees every auth change committed before
 * the read was invoked: real node processes on loopback (needs packages/server built). One
 * follower writes its log slowly (an fsync-delay failpoint), so it applies a change seconds after
 * the leader and the other follower committed it; the read arrives there meanwhile, passes the
 * check on arrival against the lagging auth state, and must be refused once its read barrier has
 * applied the change. A serializable read there shows the lag (it is answered from the old state,
 * as it may be).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '@holdfast/protocol';
import { LocalCluster } from '@holdfast/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type HoldfastClient } from '../src/index.js';

/** How long the slow follower waits after each synced log write: the window its applied state lags. */
const SLOW_FSYNC_DELAY_MS = 3000;
/** Long enough that no token here expires during the test. */
const TOKEN_TTL_MS = 600_000;
/** A read on the slow follower waits for its barrier, behind a write or two of its log. */
const SLOW_READ_DEADLINE_MS = 30_000;
/** Rounds at most: a round in which the slow follower applied the change before the read arrived proves nothing. */
const ROUNDS_MAX = 3;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Outcome {
  readonly value?: string;
  readonly error?: grpc.ServiceError;
}

/** A unary call with exactly the token given (no SDK in between), resolving to its answer or its error. */
function rawCall<T>(address: string, service: 'KvClient' | 'AuthClient', method: string, request: object, token?: string, deadlineMs = 10_000): Promise<T> {
  const protos = loadProtos();
  const client = new protos[service](address, grpc.credentials.createInsecure()) as unknown as Record<string, (...args: unknown[]) => void> & grpc.Client;
  const metadata = new grpc.Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  return new Promise<T>((resolve, reject) => {
    client[method]!.call(client, request, metadata, { deadline: Date.now() + deadlineMs }, (error: grpc.ServiceError | null, response: T) => {
      client.close();
      if (error) reject(error);
      else resolve(response);
    });
  });
}

async function read(address: string, token: string | undefined, consistency: 'LINEARIZABLE' | 'SERIALIZABLE'): Promise<Outcome> {
  try {
    const answer = await rawCall<{ kv: { value: Buffer } | null }>(address, 'KvClient', 'get', { key: Buffer.from('app/1'), consistency }, token, SLOW_READ_DEADLINE_MS);
    return { value: answer.kv?.value.toString() ?? '' };
  } catch (error) {
    return { error: error as grpc.ServiceError };
  }
}

async function login(address: string, name: string, password: string): Promise<string> {
  return (await rawCall<{ token: string }>(address, 'AuthClient', 'authenticate', { name, password })).token;
}

describe('linearizable reads on a follower that applies auth changes late', () => {
  let dataDir: string;
  let cluster: LocalCluster;
  let slowId = 0;
  /** The leader and the fast follower: the SDK clients' endpoints (they commit without the slow one). */
  let fastEndpoints: string[];
  const clients: HoldfastClient[] = [];
  let root: HoldfastClient;

  const slowAddress = (): string => cluster.member(slowId).clientAddress;

  /** Waits until the slow follower has applied auth revision `revision` (asking again while it does not answer yet). */
  async function appliedOnSlow(revision: number): Promise<void> {
    let seen = 'no answer';
    for (let asked = 0; asked < 300; asked++) {
      try {
        const status = await rawCall<{ revision: number }>(slowAddress(), 'AuthClient', 'authStatus', {}, await root.authToken());
        if (status.revision >= revision) return;
        seen = `revision ${status.revision}`;
      } catch (error) {
        seen = (error as Error).message;
      }
      await sleep(100);
    }
    throw new Error(`member ${slowId} did not apply auth revision ${revision} within 30 s (${seen})`);
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'holdfast-auth-barrier-e2e-'));
    cluster = await LocalCluster.start({
      dataDir,
      size: 3,
      logLevel: 'warn',
      extraArgs: (id) => (id === slowId ? ['--failpoints', `fsync-delay-ms=${SLOW_FSYNC_DELAY_MS}`] : []),
    });
    const leader = await cluster.waitForLeader(20_000);
    slowId = cluster.members.find((member) => member.id !== leader.id)!.id;
    fastEndpoints = cluster.members.filter((member) => member.id !== slowId).map((member) => member.clientAddress);
    // Restarted with the failpoint, as a follower: the leader stays where it is.
    await cluster.restart(slowId);
    await cluster.waitForLeader(20_000);
    const setup = createClient({ endpoints: fastEndpoints, deadlineMs: 30_000, attemptTimeoutMs: 10_000 });
    clients.push(setup);
    await setup.auth.roleAdd('root');
    await setup.auth.userAdd('root', 'root-password');
    await setup.auth.userGrantRole('root', 'root');
    await setup.auth.roleAdd('app');
    await setup.auth.roleGrant('app', { type: 'keys', key: 'app/', prefix: true, access: 'read' });
    await setup.auth.userAdd('alice', 'alice-password');
    await setup.put('app/1', 'one');
    await setup.auth.enable(TOKEN_TTL_MS);
    root = createClient({ endpoints: fastEndpoints, deadlineMs: 30_000, attemptTimeoutMs: 10_000, credentials: { user: 'root', password: 'root-password' } });
    clients.push(root);
  }, 120_000);

  afterAll(async () => {
    for (const made of clients) made.close();
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /**
   * Runs rounds of: `prepare` (a grant, applied on the slow follower too), then `change` through
   * the leader, then a serializable and a linearizable read on the slow follower with `token()`.
   * A round whose serializable read was already refused (the follower applied the change before
   * the reads arrived, on a loaded machine) proves nothing and runs again. Answers the
   * linearizable read of the first round that showed the lag.
   */
  async function readAfterChange(prepare: () => Promise<number>, token: () => Promise<string>, change: () => Promise<unknown>): Promise<Outcome> {
    for (let round = 1; round <= ROUNDS_MAX; round++) {
      await appliedOnSlow(await prepare());
      const held = await token();
      expect(await read(slowAddress(), held, 'LINEARIZABLE')).toEqual({ value: 'one' });
      await change();
      const [stale, linearizable] = await Promise.all([read(slowAddress(), held, 'SERIALIZABLE'), read(slowAddress(), held, 'LINEARIZABLE')]);
      if (stale.value === 'one') return linearizable;
    }
    throw new Error(`the slow follower applied the change before the reads in each of ${ROUNDS_MAX} rounds`);
  }

  it('refuses a read whose role was revoked before it was invoked', async () => {
    const refused = await readAfterChange(
      async () => (await root.auth.userGrantRole('alice', 'app')).revision,
      () => login(fastEndpoints[0]!, 'alice', 'alice-password'),
      () => root.auth.userRevokeRole('alice', 'app'),
    );
    expect(refused.error?.code, refused.error?.details ?? `answered ${refused.value}`).toBe(grpc.status.PERMISSION_DENIED);
    expect(refused.error?.details).toMatch(/user "alice" has no read grant on key "app\/1"/);
  });

  it('refuses a read with a token its password change voided before it was invoked', async () => {
    let password = 'alice-password';
    const refused = await readAfterChange(
      async () => (await root.auth.userGrantRole('alice', 'app')).revision,
      () => login(fastEndpoints[0]!, 'alice', password),
      async () => {
        password = `${password}-next`;
        await root.auth.userChangePassword('alice', password);
      },
    );
    expect(refused.error?.code, refused.error?.details ?? `answered ${refused.value}`).toBe(grpc.status.UNAUTHENTICATED);
    expect(refused.error?.details).toMatch(/password of user "alice" changed since the token was issued/);
  });
});
