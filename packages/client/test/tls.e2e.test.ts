// TLS end to end: real node processes on loopback with the test certificates (needs packages/server built).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalCluster } from '@holdfast/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createClient,
  DeadlineExceededError,
  InvalidArgumentError,
  type TlsOptions,
  UnavailableError,
} from '../src/index.js';

// Test-only certificates (see make-certs.sh there): node.pem names 127.0.0.1.
const fixtures = fileURLToPath(new URL('../../server/test/fixtures/tls/', import.meta.url));
const pem = (name: string): Buffer => readFileSync(join(fixtures, name));
const nodeTls = { certFile: join(fixtures, 'node.pem'), keyFile: join(fixtures, 'node-key.pem'), caFile: join(fixtures, 'ca.pem') };

/** Every member's client endpoint answers a write and a linearizable read through this client. */
async function servesOnEveryMember(cluster: LocalCluster, tls: TlsOptions, tag: string): Promise<void> {
  for (const endpoint of cluster.endpoints()) {
    // One endpoint each: a follower forwards to the leader, over TLS with its own certificate.
    const client = createClient({ endpoints: [endpoint], deadlineMs: 30_000, tls });
    try {
      await client.put(`${tag}/${endpoint}`, 'over tls');
      expect((await client.get(`${tag}/${endpoint}`))?.valueString()).toBe('over tls');
    } finally {
      client.close();
    }
  }
}

/**
 * The put fails without a connection ever being made: unavailable on every attempt, until the
 * deadline ends the call naming that as its last error. Nothing is written.
 */
async function expectRefused(options: { endpoints: string[]; tls?: TlsOptions }): Promise<void> {
  // Each attempt long enough for a refused handshake on a loaded machine (the refusal, not an
  // attempt timeout, must be the last error).
  const client = createClient({ ...options, deadlineMs: 4000, attemptTimeoutMs: 2000 });
  try {
    const error = await client.put('refused', 'x').then(
      () => undefined,
      (failure: unknown) => failure,
    );
    if (error instanceof DeadlineExceededError) expect(error.message).toMatch(/last error: UnavailableError/);
    else expect(error).toBeInstanceOf(UnavailableError);
  } finally {
    client.close();
  }
}

describe('a cluster with TLS', () => {
  let dataDir: string;
  let cluster: LocalCluster | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'holdfast-tls-e2e-'));
    cluster = await LocalCluster.start({ dataDir, size: 3, logLevel: 'warn', tls: nodeTls });
    await cluster.waitForLeader(20_000);
  });

  afterAll(async () => {
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('replicates between members over mutual TLS and serves clients that trust the CA', async () => {
    await servesOnEveryMember(cluster!, { ca: pem('ca.pem') }, 'tls');
    const status = await cluster!.call<{ members: { member: { id: number } | null; role: string }[] }>(
      (await cluster!.waitForLeader()).clientAddress,
      'status',
      {},
    );
    expect(status.members.map((m) => m.role).sort()).toEqual(['follower', 'follower', 'leader']);
  });

  it('refuses a plaintext client and a client that trusts another CA', async () => {
    const endpoints = cluster!.endpoints();
    await expectRefused({ endpoints });
    await expectRefused({ endpoints, tls: { ca: pem('other-ca.pem') } });
    const reader = createClient({ endpoints, deadlineMs: 30_000, tls: { ca: pem('ca.pem') } });
    try {
      expect(await reader.get('refused')).toBeUndefined();
    } finally {
      reader.close();
    }
  });

  it('adds a member over TLS: it joins, catches up and serves', async () => {
    const added = await cluster!.addMember({ promote: true });
    const client = createClient({ endpoints: [added.clientAddress], deadlineMs: 30_000, tls: { ca: pem('ca.pem') } });
    try {
      await client.put('tls/added', 'joined');
      expect((await client.get('tls/added'))?.valueString()).toBe('joined');
      expect((await client.get(`tls/${cluster!.endpoints()[0]}`))?.valueString()).toBe('over tls');
    } finally {
      client.close();
    }
  });

  it('refuses half a client identity at creation', () => {
    expect(() => createClient({ endpoints: ['127.0.0.1:1'], tls: { ca: pem('ca.pem'), cert: pem('client.pem') } })).toThrow(
      InvalidArgumentError,
    );
  });
});

describe('a cluster with TLS and client certificates required', () => {
  let dataDir: string;
  let cluster: LocalCluster | undefined;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'holdfast-mtls-e2e-'));
    cluster = await LocalCluster.start({ dataDir, size: 3, logLevel: 'warn', tls: { ...nodeTls, clientAuth: true } });
    await cluster.waitForLeader(20_000);
  });

  afterAll(async () => {
    await cluster?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves a client with a certificate signed by the CA, through every member', async () => {
    await servesOnEveryMember(cluster!, { ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client-key.pem') }, 'mtls');
  });

  it('refuses a client without a certificate, or with one another CA signed', async () => {
    const endpoints = cluster!.endpoints();
    await expectRefused({ endpoints, tls: { ca: pem('ca.pem') } });
    await expectRefused({ endpoints, tls: { ca: pem('ca.pem'), cert: pem('rogue.pem'), key: pem('rogue-key.pem') } });
  });
});
