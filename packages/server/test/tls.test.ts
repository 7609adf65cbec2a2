// The peer listener of a node with TLS: only members (certificates the cluster CA signed) talk Raft.
// Its metrics port is HTTPS with the node's certificate.
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { loadProtos, type RaftAck__Output } from '@holdfast/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalCluster } from '../src/localCluster.js';
import { tempDir } from './helpers.js';

const fixtures = fileURLToPath(new URL('./fixtures/tls/', import.meta.url));
const pem = (name: string): Buffer => readFileSync(join(fixtures, name));

/** Opens a Raft stream to `address` and reports how it ended: an ack (accepted) or a status. */
function openRaftStream(address: string, credentials: grpc.ChannelCredentials): Promise<'acknowledged' | grpc.status> {
  const client = new (loadProtos().RaftClient)(address, credentials);
  return new Promise((resolve) => {
    const stream = client.stream({ deadline: Date.now() + 5000 });
    const done = (outcome: 'acknowledged' | grpc.status): void => {
      stream.cancel();
      client.close();
      resolve(outcome);
    };
    stream.on('data', (_ack: RaftAck__Output) => done('acknowledged'));
    stream.on('error', (error: grpc.ServiceError) => done(error.code));
    // A batch for a member id that does not exist: an accepted stream answers it with a refusal ack.
    stream.write({ clusterId: 'tls-peers', from: 99, to: 99, messages: Buffer.alloc(0) });
  });
}

/** GET /metrics over HTTPS: the status code, or the error's message when the connection is refused. */
function scrape(address: string, identity: { ca: Buffer; cert?: Buffer; key?: Buffer }): Promise<{ status: number; body: string } | string> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const request = httpsRequest({ host, port: Number(port), path: '/metrics', ...identity, timeout: 5000 }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', (error) => resolve(error.message));
    request.end();
  });
}

describe('the peer listener with TLS', () => {
  const data = tempDir('tls-peers');
  let cluster: LocalCluster | undefined;
  let peerAddress = '';

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      dataDir: data.path,
      size: 1,
      clusterId: 'tls-peers',
      logLevel: 'warn',
      tls: { certFile: join(fixtures, 'node.pem'), keyFile: join(fixtures, 'node-key.pem'), caFile: join(fixtures, 'ca.pem') },
    });
    await cluster.waitForLeader(20_000);
    peerAddress = cluster.member(1).peerAddress;
  });

  afterAll(async () => {
    await cluster?.stop();
    data.remove();
  });

  it('accepts a stream from a member certificate signed by the cluster CA', async () => {
    expect(await openRaftStream(peerAddress, grpc.credentials.createSsl(pem('ca.pem'), pem('node-key.pem'), pem('node.pem')))).toBe(
      'acknowledged',
    );
  });

  it('refuses a peer without a certificate, with one another CA signed, and in plaintext', async () => {
    expect(await openRaftStream(peerAddress, grpc.credentials.createSsl(pem('ca.pem')))).toBe(grpc.status.UNAVAILABLE);
    expect(await openRaftStream(peerAddress, grpc.credentials.createSsl(pem('ca.pem'), pem('rogue-key.pem'), pem('rogue.pem')))).toBe(
      grpc.status.UNAVAILABLE,
    );
    expect(await openRaftStream(peerAddress, grpc.credentials.createInsecure())).toBe(grpc.status.UNAVAILABLE);
  });

  it('serves metrics over HTTPS with the node certificate, and nothing in plaintext', async () => {
    const metricsAddress = cluster?.member(1).metricsAddress ?? '';
    const scraped = await scrape(metricsAddress, { ca: pem('ca.pem') });
    expect(typeof scraped === 'object' && scraped.status).toBe(200);
    expect(typeof scraped === 'object' && scraped.body).toMatch(/^holdfast_role\{role="leader"\} 1$/m);
    // A scraper that trusts another CA does not accept the node; a plaintext one gets no metrics.
    expect(await scrape(metricsAddress, { ca: pem('other-ca.pem') })).toMatch(/self.signed|unable to verify|certificate/i);
    const plain = await fetch(`http://${metricsAddress}/metrics`).then(
      (response) => response.status,
      (error: Error) => error.message,
    );
    expect(plain).not.toBe(200);
  });
});

describe('the metrics port with TLS client authentication', () => {
  const data = tempDir('tls-metrics');
  let cluster: LocalCluster | undefined;

  beforeAll(async () => {
    cluster = await LocalCluster.start({
      dataDir: data.path,
      size: 1,
      logLevel: 'warn',
      tls: { certFile: join(fixtures, 'node.pem'), keyFile: join(fixtures, 'node-key.pem'), caFile: join(fixtures, 'ca.pem'), clientAuth: true },
    });
    await cluster.waitForLeader(20_000);
  });

  afterAll(async () => {
    await cluster?.stop();
    data.remove();
  });

  it('serves a scraper with a certificate the CA signed and refuses one without', async () => {
    const metricsAddress = cluster?.member(1).metricsAddress ?? '';
    const signed = await scrape(metricsAddress, { ca: pem('ca.pem'), cert: pem('client.pem'), key: pem('client-key.pem') });
    expect(typeof signed === 'object' && signed.status).toBe(200);
    expect(typeof await scrape(metricsAddress, { ca: pem('ca.pem') })).toBe('string');
    expect(typeof await scrape(metricsAddress, { ca: pem('ca.pem'), cert: pem('rogue.pem'), key: pem('rogue-key.pem') })).toBe('string');
  });
});
