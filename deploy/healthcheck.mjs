#!/usr/bin/env node
// Probes the gRPC health service of a holdfast node: exits 0 if the service reports SERVING, else 1.
// usage: node deploy/healthcheck.mjs [host:port=127.0.0.1:7001] [service='' (whole node)]
// A node reports SERVING once it knows a leader, so this says "can serve requests", not "is alive".
// With TLS it reads the node's own settings from the environment: HOLDFAST_TLS_CA_FILE (and, for a
// node run with HOLDFAST_TLS_CLIENT_AUTH, HOLDFAST_TLS_CERT_FILE and HOLDFAST_TLS_KEY_FILE).
import { readFileSync } from 'node:fs';
import { credentials, makeClientConstructor } from '@grpc/grpc-js';
import { service } from 'grpc-health-check';

const target = process.argv[2] ?? '127.0.0.1:7001';
const serviceName = process.argv[3] ?? '';
const deadlineMs = 2000;

const HealthClient = makeClientConstructor(service, 'grpc.health.v1.Health');
function channelCredentials() {
  const ca = process.env.HOLDFAST_TLS_CA_FILE;
  if (!ca) return credentials.createInsecure();
  const cert = process.env.HOLDFAST_TLS_CERT_FILE;
  const key = process.env.HOLDFAST_TLS_KEY_FILE;
  return credentials.createSsl(readFileSync(ca), key ? readFileSync(key) : null, cert ? readFileSync(cert) : null);
}

const client = new HealthClient(target, channelCredentials());
client.check({ service: serviceName }, { deadline: Date.now() + deadlineMs }, (error, response) => {
  client.close();
  if (error) {
    console.error(`health check of ${target} failed: ${error.message}`);
    process.exit(1);
  }
  const status = response?.status;
  if (status !== 'SERVING') {
    console.error(`health check of ${target}: ${String(status)}`);
    process.exit(1);
  }
  process.exit(0);
});
