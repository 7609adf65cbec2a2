// Authentication and authorization end to end: real node processes on loopback (needs packages/server built).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '@holdfast/protocol';
import { LocalCluster } from '@holdfast/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compare,
  createClient,
  type HoldfastClient,
  op,
  PermissionDeniedError,
  TooManyLoginsError,
  UnauthenticatedError,
} from '../src/index.js';

const TOKEN_TTL_MS = 3000;
/**
 * Each attempt's time in the SDK clients here: an admin change (a scrypt hash, a log write and a
 * read barrier) may outlast the default 2 s on a loaded machine, and is not repeated after a
 * timeout (its outcome is unknown); the member's own request timeout (5 s) still bounds it.
 */
const ATTEMPT_TIMEOUT_MS = 10_000;
/** Rounds of the password-change test at most (a round whose token expired first proves nothing). */
const PASSWORD_CHANGE_ROUNDS_MAX = 5;
/** The member's default per-user login limit a minute. */
const LOGINS_PER_USER_PER_MINUTE = 60;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function failure(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** A unary call with exactly the metadata given (no SDK in between): for tokens as they are. */
function rawCall<T>(address: string, service: 'KvClient' | 'AuthClient', method: string, request: object, token?: string): Promise<T> {
  const protos = loadProtos();
  const client = new protos[service](address, grpc.credentials.createInsecure()) as unknown as Record<string, (...args: unknown[]) => void> & grpc.Client;
  const metadata = new grpc.Metadata();
  if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
  return new Promise<T>((resolve, reject) => {
    client[method]!.call(client, request, metadata, { deadline: Date.now() + 10_000 }, (error: grpc.ServiceError | null, response: T) => {
      client.close();
      if (error) reject(error);
      else resolve(response);
    });
  });
}

/**
 * Waits until the member at `address` has applied auth revision `revision` (a follower may apply
 * a change after the leader that took it answered); `token` is a user's, fetched for each ask.
 */
async function authAppliedOn(address: string, revision: number, token: () => Promise<string | undefined>): Promise<void> {
  for (let asked = 0; asked < 200; asked++) {
    if ((await rawCall<{ revision: number }>(address, 'AuthClient', 'authStatus', {}, await token())).revision >= revision) return;
    await sleep(100);
  }
  throw new Error(`the member at ${address} did not apply auth revision ${revision} within 20 s`);
}

/** `proof`: a token of an earlier login, shown so the login limits let a renewal through. */
async function login(address: string, name: string, password: string, proof?: string): Promise<string> {
  return (await rawCall<{ token: string }>(address, 'AuthClient', 'authenticate', { name, password }, proof)).token;
}

describe('a cluster with auth enabled', () => {
  let dataDir: string;
  let cluster: LocalCluster;
  /** Members 1 and 2 serve the SDK clients; member 3 is stopped while auth is set up (it catches up by snapshot). */
  let endpoints: string[];
  const clients: HoldfastClient[] = [];
  const client = (credentials?: { user: string; password: string }, only?: string[]): HoldfastClient => {
    const made = createClient({ endpoints: only ?? endpoints, deadlineMs: 20_000, attemptTimeoutMs: ATTEMPT_TIMEOUT_MS, ...(credentials ? { credentials } : {}) });
    clients.push(made);
    return made;
  };
  let root: HoldfastClient;
  let alice: HoldfastClient;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'holdfast-auth-e2e-'));
    cluster = await LocalCluster.start({
      dataDir,
      size: 3,
      logLevel: 'info',
      extraArgs: (id) => [
        '--snapshot-entries', '16',
        '--snapshot-catchup-entries', '0',
        ...(id === 3 ? ['--login-attempts-per-address-per-minute', '8', '--login-attempts-per-user-per-minute', '4'] : []),
      ],
    });
    endpoints = [cluster.member(1).clientAddress, cluster.member(2).clientAddress];
    await cluster.waitForLeader(20_000);
    await cluster.kill(3, 'SIGTERM');
    await cluster.waitForLeader(20_000);
    const setup = client();
    await setup.auth.roleAdd('root');
    await setup.auth.userAdd('root', 'root-password');
    await setup.auth.userGrantRole('root', 'root');
    await setup.auth.roleAdd('app');
    await setup.auth.roleGrant('app', { type: 'keys', key: 'app/', prefix: true, access: 'readwrite' });
    await setup.auth.roleGrant('app', { type: 'keys', key: 'cfg/a', rangeEnd: 'cfg/m', access: 'read' });
    await setup.auth.userAdd('alice', 'alice-password');
    await setup.auth.userGrantRole('alice', 'app');
    await setup.put('cfg/b', 'written before auth');
    await setup.auth.enable(TOKEN_TTL_MS);
    root = client({ user: 'root', password: 'root-password' });
    alice = client({ user: 'alice', password: 'alice-password' });
  }, 90_000);

  afterAll(async () => {
    for (const made of clients) made.close();
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses calls without credentials, with a bad token and with a wrong password as unauthenticated', async () => {
    const anonymous = client();
    const noCredentials = await failure(anonymous.put('app/x', 'v'));
    expect(noCredentials).toBeInstanceOf(UnauthenticatedError);
    expect(await failure(anonymous.get('cfg/b'))).toBeInstanceOf(UnauthenticatedError);
    const forged = await failure(rawCall(endpoints[0]!, 'KvClient', 'get', { key: Buffer.from('cfg/b') }, 'eyJ1Ijoicm9vdCJ9.bm90LWEtc2lnbmF0dXJl'));
    expect((forged as grpc.ServiceError).code).toBe(grpc.status.UNAUTHENTICATED);
    const wrong = client({ user: 'alice', password: 'not-her-password' });
    const refused = await failure(wrong.get('app/x'));
    expect(refused).toBeInstanceOf(UnauthenticatedError);
    expect((refused as Error).message).toMatch(/wrong user name or password/);
    // Membership and progress stay readable without credentials: the SDK finds the leader with them.
    expect((await anonymous.status()).members.length).toBe(3);
  });

  it('grants keys by prefix and range, and names what is missing when it refuses', async () => {
    await alice.put('app/1', 'one');
    expect((await alice.get('app/1'))?.valueString()).toBe('one');
    expect((await alice.get('cfg/b'))?.valueString()).toBe('written before auth');
    expect((await alice.range({ prefix: 'app/' })).kvs.length).toBe(1);
    expect((await alice.range({ start: 'cfg/b', end: 'cfg/c' })).kvs.length).toBe(1);
    const readOnly = await failure(alice.put('cfg/b', 'overwritten'));
    expect(readOnly).toBeInstanceOf(PermissionDeniedError);
    expect((readOnly as Error).message).toMatch(/user "alice" has no readwrite grant on key "cfg\/b"/);
    expect(await failure(alice.get('other/1'))).toBeInstanceOf(PermissionDeniedError);
    // A range reaching past the grant is refused whole, not cut to it.
    expect(await failure(alice.range({ start: 'cfg/b', end: 'cfg/z' }))).toBeInstanceOf(PermissionDeniedError);
    expect(await failure(alice.range({ prefix: 'a' }))).toBeInstanceOf(PermissionDeniedError);
    expect((await root.get('cfg/b'))?.valueString()).toBe('written before auth');
  });

  it('refuses a txn or a watch that touches a key outside the grant whole', async () => {
    const txn = await failure(alice.txn({ compare: [compare.version('app/1', '>', 0)], success: [op.put('app/2', 'two'), op.put('other/2', 'two')] }));
    expect(txn).toBeInstanceOf(PermissionDeniedError);
    expect((txn as Error).message).toMatch(/other\/2/);
    expect(await root.get('app/2')).toBeUndefined();
    const granted = await alice.txn({ compare: [compare.version('app/1', '>', 0)], success: [op.put('app/2', 'two')] });
    expect(granted.succeeded).toBe(true);

    const outside = alice.watch({ prefix: 'cfg/' });
    const watched = await failure((async () => {
      for await (const _ of outside) break;
    })());
    outside.close();
    expect(watched).toBeInstanceOf(PermissionDeniedError);
    const inside = alice.watch({ prefix: 'app/w' });
    const seen = (async () => {
      for await (const batch of inside) {
        if (batch.events.length > 0) return batch.events[0]!.kv.key;
      }
      return undefined;
    })();
    await sleep(200);
    await alice.put('app/w1', 'x');
    expect(Buffer.from((await seen)!).toString()).toBe('app/w1');
    inside.close();
  });

  it('ends an open watch with PERMISSION_DENIED once its caller may no longer read its keys, and leaves the others', async () => {
    await root.auth.roleAdd('feed-reader');
    await root.auth.roleGrant('feed-reader', { type: 'keys', key: 'feed/', prefix: true, access: 'read' });
    await root.auth.roleAdd('news-reader');
    await root.auth.roleGrant('news-reader', { type: 'keys', key: 'news/', prefix: true, access: 'read' });
    await root.auth.userAdd('bob', 'bob-password');
    await root.auth.userGrantRole('bob', 'feed-reader');
    await root.auth.userGrantRole('bob', 'news-reader');
    const bob = client({ user: 'bob', password: 'bob-password' });
    /** Every key a watch tells, and the error that ended it. */
    const follow = (prefix: string) => {
      const keys: string[] = [];
      let listening: () => void = () => {};
      const listens = new Promise<void>((resolve) => {
        listening = resolve;
      });
      const watch = bob.watch({ prefix }, { onListening: () => listening() });
      const ended = (async () => {
        for await (const batch of watch) for (const event of batch.events) keys.push(Buffer.from(event.kv.key).toString());
        return undefined;
      })().catch((error: unknown) => error);
      return { keys, ended, watch, listens };
    };
    const until = async (done: () => boolean): Promise<void> => {
      for (let i = 0; i < 200 && !done(); i++) await sleep(100);
    };
    const feed = follow('feed/');
    const news = follow('news/');
    await Promise.all([feed.listens, news.listens]);
    await root.put('feed/1', 'a');
    await root.put('news/1', 'a');
    await until(() => feed.keys.length > 0 && news.keys.length > 0);
    expect([feed.keys, news.keys]).toEqual([['feed/1'], ['news/1']]);

    await root.auth.userRevokeRole('bob', 'feed-reader');
    const feedEnd = await feed.ended;
    expect(feedEnd).toBeInstanceOf(PermissionDeniedError);
    expect((feedEnd as Error).message).toMatch(/user "bob" has no read grant/);
    // The watch bob may still read goes on.
    await root.put('feed/2', 'b');
    await root.put('news/2', 'b');
    await until(() => news.keys.length > 1);
    expect(news.keys).toEqual(['news/1', 'news/2']);
    expect(feed.keys).toEqual(['feed/1']);

    // A deleted user's watches end too.
    await root.auth.userDelete('bob');
    expect(await news.ended).toBeInstanceOf(UnauthenticatedError);
    feed.watch.close();
    news.watch.close();
  });

  it('checks leases, range deletes and compaction by the keys and rights they touch', async () => {
    const own = await alice.lease.grant(60_000);
    await alice.put('app/leased', 'x', { lease: own.id });
    expect(await failure(alice.put('other/leased', 'x', { lease: own.id }))).toBeInstanceOf(PermissionDeniedError);
    const roots = await root.lease.grant(60_000);
    await root.put('other/leased', 'x', { lease: roots.id });
    // Revoking deletes the keys attached: readwrite on each is needed.
    const revoke = await failure(alice.lease.revoke(roots.id));
    expect(revoke).toBeInstanceOf(PermissionDeniedError);
    expect((revoke as Error).message).toMatch(/other\/leased/);
    await alice.lease.revoke(own.id);
    expect(await root.get('app/leased')).toBeUndefined();
    const token = await login(endpoints[0]!, 'alice', 'alice-password');
    const rangeDelete = await failure(rawCall(endpoints[0]!, 'KvClient', 'delete', { key: Buffer.from('app/'), end: Buffer.from('b') }, token));
    expect((rangeDelete as grpc.ServiceError).code).toBe(grpc.status.PERMISSION_DENIED);
    const compact = await failure(rawCall(endpoints[0]!, 'KvClient', 'compact', { revision: 1 }, token));
    expect((compact as grpc.ServiceError).details).toMatch(/admin right "compaction"/);
    await rawCall(endpoints[0]!, 'KvClient', 'delete', { key: Buffer.from('app/zz'), prefix: Buffer.from('app/zz') }, token);
  });

  it('keeps admin calls to users with the admin right', async () => {
    const denied = await failure(alice.auth.userAdd('mallory', 'pw'));
    expect(denied).toBeInstanceOf(PermissionDeniedError);
    expect((denied as Error).message).toMatch(/admin right "auth"/);
    expect(await failure(alice.members.remove(3))).toBeInstanceOf(PermissionDeniedError);
    expect(await failure(alice.backup())).toBeInstanceOf(PermissionDeniedError);
    expect((await root.auth.userList()).map((user) => user.name)).toEqual(['alice', 'root']);
    // A follower checks a write itself and forwards it to the leader as its own.
    const leader = await cluster.waitForLeader();
    const follower = endpoints.find((address) => address !== leader.clientAddress)!;
    const viaFollower = client({ user: 'alice', password: 'alice-password' }, [follower]);
    await viaFollower.put('app/forwarded', 'yes');
    expect(await failure(viaFollower.put('other/forwarded', 'no'))).toBeInstanceOf(PermissionDeniedError);
    expect((await root.get('app/forwarded'))?.valueString()).toBe('yes');
  });

  it('keeps an audit log of auth changes and refused admin calls, with no password or token in any log', async () => {
    const audit = [1, 2, 3]
      .flatMap((id) => readFileSync(cluster.member(id).logFile, 'utf8').split('\n'))
      .filter((line) => line.includes('"component":"audit"'))
      .map((line) => JSON.parse(line) as { msg: string; method?: string; by?: string; user?: string; target?: Record<string, string>; outcome?: string });
    // Each change once, by who asked, on the member that took it (a forwarded one is not logged twice).
    const revoked = audit.filter((entry) => entry.msg === 'auth change' && entry.method === 'userRevokeRole');
    expect(revoked).toEqual([expect.objectContaining({ by: 'root', target: { name: 'bob', role: 'feed-reader' }, outcome: 'ok' })]);
    const granted = audit.find((entry) => entry.method === 'roleGrant' && entry.target?.['name'] === 'news-reader');
    expect(granted?.target?.['permission']).toBe('read "news/" prefix');
    expect(audit).toContainEqual(expect.objectContaining({ msg: 'admin call refused', method: '/holdfast.v1.Auth/UserAdd', user: 'alice', kind: 'permission-denied' }));
    const logs = [1, 2, 3].map((id) => readFileSync(cluster.member(id).logFile, 'utf8')).join('\n');
    for (const secret of ['alice-password', 'root-password', 'bob-password', 'pw"']) expect(logs).not.toContain(secret);
    expect(logs).not.toMatch(/Bearer|"token":/);
  });

  it('refuses an expired token, renews the SDK token before expiry, and keeps a rotated-out key valid until its tokens expire', async () => {
    const before = await login(endpoints[0]!, 'alice', 'alice-password');
    await root.auth.rotateSigningKey();
    expect((await root.auth.status()).signingKeys).toBe(2);
    // Signed by the previous key: still good until it expires.
    await rawCall(endpoints[1]!, 'KvClient', 'get', { key: Buffer.from('app/1') }, before);
    const after = await login(endpoints[1]!, 'alice', 'alice-password');
    for (let i = 0; i < 3; i++) {
      await alice.put(`app/renewed-${i}`, String(i));
      await sleep(TOKEN_TTL_MS / 2);
    }
    const expired = await failure(rawCall(endpoints[0]!, 'KvClient', 'get', { key: Buffer.from('app/1') }, before));
    expect((expired as grpc.ServiceError).code).toBe(grpc.status.UNAUTHENTICATED);
    expect((expired as grpc.ServiceError).details).toMatch(/expired|no longer holds/);
    expect((await failure(rawCall(endpoints[0]!, 'KvClient', 'get', { key: Buffer.from('app/1') }, after))) as grpc.ServiceError).toMatchObject({
      code: grpc.status.UNAUTHENTICATED,
    });
    expect((await alice.get('app/renewed-2'))?.valueString()).toBe('2');
  });

  it('voids a user’s tokens when its password changes', async () => {
    // The old token is shown to member 1 once it applied the change, and within the token's
    // lifetime (3 s): on a loaded machine the change may outlast it, and a round whose token
    // expired first proves nothing, so it runs again (setting the new password again). A token
    // the change did not void is taken, and fails the test in any round.
    let refused: grpc.ServiceError | undefined;
    for (let round = 1; round <= PASSWORD_CHANGE_ROUNDS_MAX; round++) {
      const holder = client({ user: 'alice', password: round === 1 ? 'alice-password' : 'alice-new-password' });
      const token = await holder.authToken();
      const { revision } = await root.auth.userChangePassword('alice', 'alice-new-password');
      await authAppliedOn(endpoints[0]!, revision, () => root.authToken());
      refused = (await failure(rawCall(endpoints[0]!, 'KvClient', 'get', { key: Buffer.from('app/1') }, token))) as grpc.ServiceError | undefined;
      if (!/expired/.test(refused?.details ?? '')) break;
    }
    expect(refused?.details).toMatch(/password of user "alice" changed/);
    const withNewPassword = client({ user: 'alice', password: 'alice-new-password' });
    expect((await withNewPassword.get('app/1'))?.valueString()).toBe('one');
  });

  it('limits login attempts per user', async () => {
    // Attempts until the first refusal for the limit (the bucket refills by one a second meanwhile,
    // so a slow machine needs a few more than the limit; never fewer).
    const errors: grpc.ServiceError[] = [];
    while (errors.length < 3 * LOGINS_PER_USER_PER_MINUTE) {
      const error = (await failure(login(endpoints[0]!, 'mallory', `guess-${errors.length}`))) as grpc.ServiceError;
      errors.push(error);
      if (error.code !== grpc.status.UNAUTHENTICATED) break;
    }
    expect(errors.length).toBeGreaterThan(LOGINS_PER_USER_PER_MINUTE);
    expect(errors.slice(0, -1).every((error) => error.code === grpc.status.UNAUTHENTICATED)).toBe(true);
    expect(errors.at(-1)!.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(errors.at(-1)!.details).toMatch(/too many failed logins for user "mallory"/);
    // The SDK's typed error for the same; another member keeps its own count.
    const locked = client({ user: 'mallory', password: 'guess' }, [endpoints[0]!]);
    expect(await failure(locked.get('app/1'))).toBeInstanceOf(TooManyLoginsError);
  });

  it('a member that was down catches up by snapshot, auth state included', async () => {
    for (let i = 0; i < 40; i++) await root.put(`bulk/${i}`, 'x');
    cluster.startMember(3);
    const third = cluster.member(3).clientAddress;
    const viaThird = client({ user: 'alice', password: 'alice-new-password' }, [third]);
    expect((await viaThird.get('cfg/b', { consistency: 'serializable' }))?.valueString()).toBe('written before auth');
    expect(await failure(viaThird.get('bulk/1', { consistency: 'serializable' }))).toBeInstanceOf(PermissionDeniedError);
    expect(readFileSync(cluster.member(3).logFile, 'utf8')).toMatch(/restored a snapshot/);
  });

  it('limits login attempts per peer address', async () => {
    const third = cluster.member(3).clientAddress;
    const codes: number[] = [];
    while (codes.length < 40 && !codes.includes(grpc.status.RESOURCE_EXHAUSTED)) {
      codes.push(((await failure(login(third, `nobody-${codes.length}`, 'x'))) as grpc.ServiceError).code);
    }
    // Distinct names: only the address budget (8 failures a minute) can run out.
    expect(codes.at(-1)).toBe(grpc.status.RESOURCE_EXHAUSTED);
  });

  it('does not lock honest clients out with another caller’s failed logins', async () => {
    const third = cluster.member(3).clientAddress;
    // The address budget is spent (previous test): a user never logged in from here is refused...
    expect(await failure(login(third, 'root', 'root-password'))).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, details: expect.stringMatching(/from this address/) });
    // ...but alice logged in here before (the snapshot test's client), so her logins pass.
    expect(await login(third, 'alice', 'alice-new-password')).not.toBe('');
    const holder = client({ user: 'alice', password: 'alice-new-password' }, [third]);
    expect((await holder.get('cfg/b', { consistency: 'serializable' }))?.valueString()).toBe('written before auth');
    // The holder keeps its token renewed (at three quarters of its lifetime) while someone guesses
    // alice's password until her budget here (4 failures a minute) is spent.
    let guessing = true;
    const renewing = (async () => {
      while (guessing) {
        await holder.authToken();
        await sleep(200);
      }
    })();
    const codes: number[] = [];
    while (codes.length < 20 && !codes.includes(grpc.status.RESOURCE_EXHAUSTED)) {
      codes.push(((await failure(login(third, 'alice', `guess-${codes.length}`))) as grpc.ServiceError).code);
    }
    guessing = false;
    await renewing;
    expect(codes.at(-1)).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const locked = await failure(login(third, 'alice', 'alice-new-password'));
    expect(locked).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, details: expect.stringMatching(/for user "alice"/) });
    expect(await failure(client({ user: 'alice', password: 'alice-new-password' }, [third]).get('cfg/b', { consistency: 'serializable' }))).toBeInstanceOf(TooManyLoginsError);
    // A holder of one of her tokens logs in all the same: by hand, and the SDK client past its
    // token's lifetime (it shows its last token when it logs in again).
    expect(await login(third, 'alice', 'alice-new-password', await holder.authToken())).not.toBe('');
    await sleep(TOKEN_TTL_MS + 500);
    expect((await holder.get('cfg/b', { consistency: 'serializable' }))?.valueString()).toBe('written before auth');
  });

  it('keeps users, roles and the switch across a restart of every member', async () => {
    for (const id of [1, 2, 3]) await cluster.restart(id);
    await cluster.waitForLeader(30_000);
    const again = client({ user: 'alice', password: 'alice-new-password' });
    expect((await again.get('app/1'))?.valueString()).toBe('one');
    expect(await failure(again.get('other/1'))).toBeInstanceOf(PermissionDeniedError);
    expect(await failure(client().get('app/1'))).toBeInstanceOf(UnauthenticatedError);
    const status = await root.auth.status();
    expect(status.enabled).toBe(true);
    await root.auth.disable();
    expect((await client().get('app/1'))?.valueString()).toBe('one');
    // Credentials on a cluster with auth off: the login says no token is needed, and calls pass.
    expect((await client({ user: 'nobody', password: 'x' }).get('other/1'))).toBeUndefined();
  });
});

describe('a TLS cluster with auth enabled, clients known by their certificates', () => {
  const fixtures = fileURLToPath(new URL('../../server/test/fixtures/tls/', import.meta.url));
  const pem = (name: string): Buffer => readFileSync(join(fixtures, name));
  let dataDir: string;
  let cluster: LocalCluster;
  const clients: HoldfastClient[] = [];
  const withCertificate = (cert: string, key: string): HoldfastClient => {
    const made = createClient({
      endpoints: cluster.endpoints(),
      deadlineMs: 20_000,
      tls: { ca: pem('ca.pem'), cert: pem(cert), key: pem(key) },
      credentials: { certificate: true },
    });
    clients.push(made);
    return made;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'holdfast-auth-tls-e2e-'));
    const tls = { certFile: join(fixtures, 'node.pem'), keyFile: join(fixtures, 'node-key.pem'), caFile: join(fixtures, 'ca.pem'), clientAuth: true };
    cluster = await LocalCluster.start({ dataDir, size: 1, logLevel: 'warn', tls });
    await cluster.waitForLeader(20_000);
  }, 60_000);

  afterAll(async () => {
    for (const made of clients) made.close();
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('takes the certificate CN as the user, and refuses a certificate that names no user', async () => {
    // client.pem's CN is "holdfast test client".
    const admin = withCertificate('client.pem', 'client-key.pem');
    await admin.auth.roleAdd('root');
    await admin.auth.userAdd('root', 'root-password');
    await admin.auth.userGrantRole('root', 'root');
    await admin.auth.roleAdd('certs');
    await admin.auth.roleGrant('certs', { type: 'keys', key: 'cert/', prefix: true, access: 'readwrite' });
    await admin.auth.userAdd('holdfast test client', undefined);
    await admin.auth.userGrantRole('holdfast test client', 'certs');
    await admin.auth.enable();
    const known = withCertificate('client.pem', 'client-key.pem');
    await known.put('cert/1', 'by certificate');
    expect((await known.get('cert/1'))?.valueString()).toBe('by certificate');
    expect(await failure(known.put('other/1', 'x'))).toBeInstanceOf(PermissionDeniedError);
    // The member certificate names "holdfast test node", localhost and member URIs: no user.
    const unknown = withCertificate('node.pem', 'node-key.pem');
    const refused = await failure(unknown.get('cert/1'));
    expect(refused).toBeInstanceOf(UnauthenticatedError);
    expect((refused as Error).message).toMatch(/certificate names no user/);
    // A certificate-only user cannot log in with a password.
    const byPassword = createClient({
      endpoints: cluster.endpoints(),
      deadlineMs: 20_000,
      tls: { ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client-key.pem') },
      credentials: { user: 'holdfast test client', password: 'any' },
    });
    clients.push(byPassword);
    expect(((await failure(byPassword.get('cert/1'))) as Error).message).toMatch(/wrong user name or password/);
  });
});
