#!/usr/bin/env node
// Starts one holdfast member of a StatefulSet (the pod's command), or removes members before a
// scale-down. Identity: a pod whose data dir holds a log runs as the member it was (member.json in
// the data dir, else ordinal + 1 for the initial members). A pod with an empty data dir:
//   - no running cluster answers and its ordinal is in the initial cluster: bootstrap as ordinal + 1
//     (the node itself refuses if the cluster turns out to run with that id: see bootstrapGuard.ts);
//   - a running cluster answers: join it as a NEW member. A member of the same name (this pod before
//     its volume was lost, or an initial member that never started) is removed first, then this pod
//     is added as a learner, started with --join under the id the leader gave it, and promoted to
//     voter once it has caught up. Never again under an id that may have voted or acknowledged.
// A pod whose member was removed from the cluster (scale-down) and that starts again on its old
// volume deletes that stale data and joins as a new member.
//
// usage: node deploy/kubernetes/member-start.mjs                 start this pod's member
//        node deploy/kubernetes/member-start.mjs remove NAME...  remove members by name (scale-down)
// Reads the node's HOLDFAST_* variables: HOLDFAST_NAME (the pod name, ending in -ORDINAL),
// HOLDFAST_DATA_DIR, HOLDFAST_INITIAL_CLUSTER, HOLDFAST_CLIENT_ADVERTISE, HOLDFAST_PEER_ADVERTISE,
// HOLDFAST_REGION, HOLDFAST_TLS_* (as the node); HOLDFAST_SEED_ENDPOINTS (client addresses to find
// the running cluster at; default: the initial cluster's). In Kubernetes (NODE_NAME set), the
// zone of the pod's node becomes its region (--region, and the region of a member it adds).
import { spawn } from 'node:child_process';
import { request } from 'node:https';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '@holdfast/client';

const CLI_MAIN = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));
const IDENTITY_FILE = 'member.json';
/** How long the running cluster is looked for before this pod decides there is none. */
const FIND_CLUSTER_MS = 5000;
const PROMOTE_EVERY_MS = 1000;
/** Joining is tried this often before the pod gives up (and Kubernetes restarts it). */
const JOIN_ATTEMPTS_MAX = 10;
const JOIN_RETRY_MS = 2000;

const env = process.env;
const say = (message) => console.error(`member-start: ${message}`);

function required(name) {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`${name} must be set`);
  return value;
}

/** id=name/region/peerAddr/clientAddr,... (the node's --initial-cluster syntax). */
function parseMembers(text) {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const [id, rest = ''] = part.split('=');
      const [name, region, peerAddress, clientAddress] = rest.split('/');
      return { id: Number(id), name, region, peerAddress, clientAddress };
    });
}

const formatMembers = (members) => members.map((m) => `${m.id}=${m.name}/${m.region || 'local'}/${m.peerAddress}/${m.clientAddress}`).join(',');

function tlsOptions() {
  const ca = env.HOLDFAST_TLS_CA_FILE;
  if (!ca) return {};
  const cert = env.HOLDFAST_TLS_CERT_FILE;
  const key = env.HOLDFAST_TLS_KEY_FILE;
  return { tls: { ca: readFileSync(ca), ...(cert && key ? { cert: readFileSync(cert), key: readFileSync(key) } : {}) } };
}

function seedEndpoints(initial) {
  const seeds = env.HOLDFAST_SEED_ENDPOINTS;
  if (seeds) return seeds.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return initial.map((m) => m.clientAddress);
}

/** A client that follows the cluster's advertised addresses (they resolve where the pods run). */
function clusterClient(endpoints) {
  return createClient({ endpoints, deadlineMs: 3000, attemptTimeoutMs: 1000, resolveAddress: (address) => address, ...tlsOptions() });
}

/**
 * What the running cluster says of itself: its leader, members and revision; undefined when no
 * member answers within FIND_CLUSTER_MS.
 */
async function findCluster(endpoints) {
  const client = clusterClient(endpoints);
  const giveUp = Date.now() + FIND_CLUSTER_MS;
  let best;
  try {
    while (Date.now() < giveUp) {
      const status = await client.status({ deadlineMs: 1500 }).catch(() => undefined);
      if (status) {
        best = { leaderId: status.leaderId, revision: status.header.revision, members: status.members };
        if (status.leaderId !== 0) return best;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return best;
  } finally {
    client.close();
  }
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
const ZONE_LABEL = 'topology.kubernetes.io/zone';

/**
 * The zone of the Kubernetes node this pod runs on (its topology.kubernetes.io/zone label, read
 * through the API with the pod's service account: deploy/kubernetes/rbac.yaml), or undefined
 * outside Kubernetes, without NODE_NAME, or when the API does not answer.
 */
async function nodeZone() {
  const nodeName = env.NODE_NAME;
  const host = env.KUBERNETES_SERVICE_HOST;
  if (!nodeName || !host || !existsSync(join(SERVICE_ACCOUNT_DIR, 'token'))) return undefined;
  const token = readFileSync(join(SERVICE_ACCOUNT_DIR, 'token'), 'utf8').trim();
  const ca = readFileSync(join(SERVICE_ACCOUNT_DIR, 'ca.crt'));
  const options = {
    host,
    port: env.KUBERNETES_SERVICE_PORT || 443,
    path: `/api/v1/nodes/${encodeURIComponent(nodeName)}`,
    headers: { authorization: `Bearer ${token}` },
    ca,
    timeout: 5000,
  };
  return new Promise((resolve) => {
    const req = request(options, (response) => {
      let body = '';
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => {
        try {
          resolve(response.statusCode === 200 ? JSON.parse(body).metadata?.labels?.[ZONE_LABEL] : undefined);
        } catch {
          resolve(undefined);
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => {
      say(`could not read node ${nodeName}'s zone: ${error.message}`);
      resolve(undefined);
    });
    req.end();
  });
}

function readIdentity(dataDir) {
  const path = join(dataDir, IDENTITY_FILE);
  return existsSync(path) ? JSON.parse(readFileSync(path, 'utf8')) : undefined;
}

function writeIdentity(dataDir, identity) {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, IDENTITY_FILE), `${JSON.stringify(identity)}\n`);
}

const holdsLog = (dataDir) => existsSync(join(dataDir, 'log')) && readdirSync(join(dataDir, 'log')).length > 0;

/** Deletes what a data dir holds (not the directory: it is the volume's mount point). */
function emptyDataDir(dataDir) {
  for (const entry of readdirSync(dataDir)) rmSync(join(dataDir, entry), { recursive: true, force: true });
}

function runNode(id, join, initialCluster) {
  const childEnv = { ...env, HOLDFAST_ID: String(id), HOLDFAST_JOIN: join ? 'true' : 'false', HOLDFAST_INITIAL_CLUSTER: initialCluster };
  say(`starting member ${id}${join ? ' (joining)' : ''}`);
  const child = spawn(process.execPath, [CLI_MAIN, 'node', ...process.argv.slice(2)], { stdio: 'inherit', env: childEnv });
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return child;
}

/** Promotes the learner `id` once the leader accepts it (caught up, replicating); retries meanwhile. */
async function promoteWhenCaughtUp(endpoints, id, child) {
  const client = clusterClient(endpoints);
  try {
    while (child.exitCode === null) {
      try {
        const members = await client.members.list();
        const self = members.find((m) => m.id === id);
        if (!self) return say(`member ${id} is no longer in the cluster; not promoting it`);
        if (!self.learner) return say(`member ${id} is a voter`);
        await client.members.promote(id);
        return say(`promoted member ${id} to voter`);
      } catch (error) {
        if (!/retry later|pending|no-leader|timeout|unavailable/i.test(error.message)) say(`promotion of ${id}: ${error.message}`);
      }
      await new Promise((resolve) => setTimeout(resolve, PROMOTE_EVERY_MS));
    }
  } finally {
    client.close();
  }
}

/** Joins the running cluster as a new member: removes this pod's old member, adds it as a learner. */
async function joinAsNewMember(cluster, endpoints, dataDir, self) {
  const client = clusterClient(endpoints);
  let added;
  try {
    const old = cluster.members.find((m) => m.name === self.name);
    if (old) {
      say(`the cluster has member ${old.id} named ${self.name} (this pod, whose data is gone, or never started): removing it first`);
      await client.members.remove(old.id, { deadlineMs: 15_000 });
    }
    ({ member: added } = await client.members.addLearner(self, { deadlineMs: 15_000 }));
  } finally {
    client.close();
  }
  if (!added) throw new Error('the leader did not say which id it gave the new learner');
  say(`added as learner ${added.id}`);
  writeIdentity(dataDir, { id: added.id, joined: true });
  const members = cluster.members.filter((m) => m.name !== self.name);
  return { id: added.id, initialCluster: formatMembers([...members, { ...self, id: added.id }]) };
}

async function start() {
  const name = required('HOLDFAST_NAME');
  const ordinal = Number(/-(\d+)$/.exec(name)?.[1] ?? Number.NaN);
  if (!Number.isInteger(ordinal)) throw new Error(`HOLDFAST_NAME ${name} does not end in -ORDINAL`);
  const dataDir = required('HOLDFAST_DATA_DIR');
  const initialText = required('HOLDFAST_INITIAL_CLUSTER');
  const initial = parseMembers(initialText);
  const zone = await nodeZone();
  if (zone) env.HOLDFAST_REGION = zone;
  const self = {
    name,
    region: env.HOLDFAST_REGION || 'local',
    clientAddress: required('HOLDFAST_CLIENT_ADVERTISE'),
    peerAddress: required('HOLDFAST_PEER_ADVERTISE'),
  };
  const endpoints = seedEndpoints(initial);
  const identity = readIdentity(dataDir);

  if (holdsLog(dataDir) || identity?.joined) {
    const id = identity?.id ?? ordinal + 1;
    const cluster = await findCluster(endpoints);
    const removed = cluster && cluster.leaderId !== 0 && !cluster.members.some((m) => m.id === id);
    if (!removed) {
      // A joined member reaches the others through the addresses of the members it knows of.
      const reach = identity?.joined && cluster ? formatMembers(cluster.members) : initialText;
      const child = runNode(id, identity?.joined ?? false, reach);
      if (identity?.joined) void promoteWhenCaughtUp(endpoints, id, child);
      return;
    }
    say(`member ${id} was removed from the cluster (scale-down): deleting its data and joining as a new member`);
    emptyDataDir(dataDir);
  }

  for (let attempt = 1; ; attempt += 1) {
    const cluster = await findCluster(endpoints);
    if (!cluster || (cluster.leaderId === 0 && cluster.revision === 0)) {
      if (ordinal < initial.length) {
        writeIdentity(dataDir, { id: ordinal + 1, joined: false });
        runNode(ordinal + 1, false, initialText);
        return;
      }
      throw new Error(`no running cluster answers at ${endpoints.join(', ')}; ${name} is beyond the initial cluster and can only join a running one (retrying on restart)`);
    }
    try {
      if (cluster.leaderId === 0) throw new Error('the cluster holds data but has no leader now');
      const joined = await joinAsNewMember(cluster, endpoints, dataDir, self);
      const child = runNode(joined.id, true, joined.initialCluster);
      void promoteWhenCaughtUp(endpoints, joined.id, child);
      return;
    } catch (error) {
      // An add whose answer was lost leaves a learner of this name: the next attempt removes it.
      if (attempt >= JOIN_ATTEMPTS_MAX) throw error;
      say(`joining failed (${error.message}); trying again (${attempt} of ${JOIN_ATTEMPTS_MAX})`);
      await new Promise((resolve) => setTimeout(resolve, JOIN_RETRY_MS));
    }
  }
}

/** Removes the named members (the pods a scale-down will delete) from membership. */
async function remove(names) {
  const initial = parseMembers(env.HOLDFAST_INITIAL_CLUSTER ?? '');
  const client = clusterClient(seedEndpoints(initial));
  try {
    const members = await client.members.list();
    for (const name of names) {
      const member = members.find((m) => m.name === name);
      if (!member) {
        say(`no member named ${name}; nothing to remove`);
        continue;
      }
      await client.members.remove(member.id, { deadlineMs: 15_000 });
      say(`removed member ${member.id} (${name})`);
    }
  } finally {
    client.close();
  }
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'remove') {
    await remove(rest);
  } else {
    await start();
  }
} catch (error) {
  say(error.message);
  process.exit(1);
}
