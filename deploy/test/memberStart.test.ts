/**
 * The StatefulSet's start logic (deploy/kubernetes/member-start.mjs) with real processes on
 * loopback, each "pod" a name, a data dir and two ports: the initial members bootstrap; scaling
 * from 3 to 5 adds the new ordinals as learners and promotes them; scaling back removes them from
 * membership first; a removed pod started again on its old volume joins as a new member; a pod
 * whose volume was lost replaces its old member instead of bootstrapping under its id again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient, type HoldfastClient, type Member } from '@holdfast/client';
import { freePort } from '@holdfast/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../kubernetes/member-start.mjs', import.meta.url));
const INITIAL_SIZE = 3;
const PODS = 5;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Pod {
  readonly name: string;
  readonly dataDir: string;
  readonly clientAddress: string;
  readonly peerAddress: string;
  process?: ChildProcess;
  output: string;
}

describe('the StatefulSet start script', () => {
  const root = mkdtempSync(join(tmpdir(), 'holdfast-member-start-'));
  const pods: Pod[] = [];
  let initialCluster = '';
  let client: HoldfastClient;

  function env(pod: Pod): NodeJS.ProcessEnv {
    return {
      ...process.env,
      HOLDFAST_NAME: pod.name,
      HOLDFAST_CLUSTER_ID: 'member-start-test',
      HOLDFAST_DATA_DIR: pod.dataDir,
      HOLDFAST_CLIENT_LISTEN: pod.clientAddress,
      HOLDFAST_PEER_LISTEN: pod.peerAddress,
      HOLDFAST_CLIENT_ADVERTISE: pod.clientAddress,
      HOLDFAST_PEER_ADVERTISE: pod.peerAddress,
      HOLDFAST_INITIAL_CLUSTER: initialCluster,
      HOLDFAST_REGION: 'zone-test',
      HOLDFAST_LOG_LEVEL: 'warn',
      HOLDFAST_EXIT_WITH_PARENT: '1',
    };
  }

  function startPod(index: number): void {
    const pod = pods[index]!;
    const child = spawn(process.execPath, [SCRIPT], { env: env(pod), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => {
      pod.output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      pod.output += chunk.toString();
    });
    pod.process = child;
  }

  async function stopPod(index: number): Promise<void> {
    const child = pods[index]?.process;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(15_000)]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }

  /** Waits until the membership is exactly `names`, every one a voter (and `also` holds); returns it. */
  async function membersBecome(names: readonly string[], timeoutMs = 120_000, also: (members: Member[]) => boolean = () => true): Promise<Member[]> {
    const giveUp = Date.now() + timeoutMs;
    let last: Member[] = [];
    for (;;) {
      last = await client.members.list().catch(() => last);
      const voters = last.filter((m) => !m.learner).map((m) => m.name);
      if (last.length === names.length && [...voters].sort().join() === [...names].sort().join() && also(last)) return last;
      if (Date.now() > giveUp) {
        const outputs = pods.map((p) => `${p.name}: ${p.output.slice(-600)}`).join('\n');
        throw new Error(`membership is ${JSON.stringify(last)}, not voters ${names.join(', ')}\n${outputs}`);
      }
      await sleep(200);
    }
  }

  /**
   * Waits until each of the pods serves (it passed its start checks and runs), so that a write
   * does not race a pod's first start: an initial member that first starts after the cluster took
   * writes is refused, as a lost disk would be (bootstrapGuard.ts).
   */
  async function podsServe(indexes: readonly number[], timeoutMs = 120_000): Promise<void> {
    const giveUp = Date.now() + timeoutMs;
    for (const index of indexes) {
      const pod = pods[index]!;
      const onPod = createClient({ endpoints: [pod.clientAddress], consistency: 'serializable', deadlineMs: 2_000, resolveAddress: (a) => a });
      try {
        for (;;) {
          const served = await onPod.get('any').then(
            () => true,
            () => false,
          );
          if (served) break;
          if (Date.now() > giveUp) throw new Error(`${pod.name} does not serve\n${pod.output.slice(-1200)}`);
          await sleep(200);
        }
      } finally {
        onPod.close();
      }
    }
  }

  beforeAll(async () => {
    for (let i = 0; i < PODS; i += 1) {
      pods.push({
        name: `holdfast-${i}`,
        dataDir: join(root, `pod-${i}`),
        clientAddress: `127.0.0.1:${await freePort()}`,
        peerAddress: `127.0.0.1:${await freePort()}`,
        output: '',
      });
    }
    initialCluster = pods
      .slice(0, INITIAL_SIZE)
      .map((p, i) => `${i + 1}=${p.name}/zone-test/${p.peerAddress}/${p.clientAddress}`)
      .join(',');
    // Clients reach every pod, like the client Service does.
    // Generous deadlines: the machine running the tests may be loaded.
    client = createClient({ endpoints: pods.map((p) => p.clientAddress), deadlineMs: 30_000, resolveAddress: (a) => a });
    for (let i = 0; i < INITIAL_SIZE; i += 1) startPod(i);
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await Promise.all(pods.map((_, i) => stopPod(i)));
    rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it('bootstraps the initial members under ordinal + 1', async () => {
    const members = await membersBecome(['holdfast-0', 'holdfast-1', 'holdfast-2']);
    expect(members.map((m) => [m.id, m.name])).toEqual([
      [1, 'holdfast-0'],
      [2, 'holdfast-1'],
      [3, 'holdfast-2'],
    ]);
    await podsServe([0, 1, 2]);
    await client.put('kept', 'across every change');
  }, 180_000);

  it('scales 3 -> 5: new ordinals join as learners and are promoted', async () => {
    startPod(3);
    startPod(4);
    const members = await membersBecome(['holdfast-0', 'holdfast-1', 'holdfast-2', 'holdfast-3', 'holdfast-4']);
    expect(members.filter((m) => m.name >= 'holdfast-3').every((m) => m.id > INITIAL_SIZE && m.region === 'zone-test')).toBe(true);
    expect(pods[3]?.output).toContain('added as learner');
    const onNewPod = createClient({ endpoints: [pods[4]!.clientAddress], consistency: 'serializable' });
    try {
      expect((await onNewPod.get('kept'))?.valueString()).toBe('across every change');
    } finally {
      onNewPod.close();
    }
  }, 180_000);

  it('scales 5 -> 3: the removed ordinals leave membership first, then stop', async () => {
    const remover = spawn(process.execPath, [SCRIPT, 'remove', 'holdfast-4', 'holdfast-3'], { env: env(pods[0]!), stdio: 'pipe' });
    const exitCode = await new Promise((resolve) => remover.once('exit', resolve));
    expect(exitCode).toBe(0);
    await membersBecome(['holdfast-0', 'holdfast-1', 'holdfast-2'], 60_000);
    await stopPod(3);
    await stopPod(4);
    await client.put('after-scale-down', 'yes');
  }, 180_000);

  it('a removed pod started again on its old volume joins as a new member', async () => {
    const before = (await client.members.list()).map((m) => m.id);
    pods[3]!.output = '';
    startPod(3);
    const members = await membersBecome(['holdfast-0', 'holdfast-1', 'holdfast-2', 'holdfast-3']);
    const rejoined = members.find((m) => m.name === 'holdfast-3');
    expect(rejoined && before.includes(rejoined.id)).toBe(false);
    expect(pods[3]?.output).toContain('was removed from the cluster');
  }, 180_000);

  it('a pod whose volume was lost replaces its member instead of bootstrapping under its id again', async () => {
    await stopPod(1);
    rmSync(pods[1]!.dataDir, { recursive: true, force: true });
    pods[1]!.output = '';
    startPod(1);
    const replacedMember = (members: Member[]): boolean => members.some((m) => m.name === 'holdfast-1' && m.id !== 2);
    const members = await membersBecome(['holdfast-0', 'holdfast-1', 'holdfast-2', 'holdfast-3'], 120_000, replacedMember);
    expect(members.some((m) => m.id === 2)).toBe(false);
    expect(pods[1]?.output).toContain('removing it first');
    expect((await client.get('kept'))?.valueString()).toBe('across every change');
  }, 180_000);
});
