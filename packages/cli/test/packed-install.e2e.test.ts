// The published packages as a user gets them: `npm pack` each one, install the tarballs into an
// empty directory outside the repository, type-check a TypeScript program against the SDK with
// the repository's compiler, and run the installed `holdfast` (and that program) against a
// cluster the installed CLI starts itself. Needs the packages built (npm test builds first); the
// packages' own dependencies come from the npm cache or registry, as for a user.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProcessRun, runProcess, waitForExit } from './helpers.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const tscJs = join(repoRoot, 'node_modules/typescript/bin/tsc');
/** What a user installs: the SDK, the CLI, and what they depend on. */
const published = ['@holdfast/protocol', '@holdfast/client', '@holdfast/raft', '@holdfast/storage', '@holdfast/server', '@holdfast/cli'];
/** The version the SDK is type-checked with: the repository's own. */
const typesNodeVersion = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> })
  .devDependencies['@types/node'];

function run(file: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<ProcessRun> {
  return runProcess(file, args, { cwd: options.cwd, env: options.env ?? process.env, timeoutMs: options.timeoutMs ?? 120_000, outputBytesMax: 16 * 1024 * 1024 });
}

function expectSuccess(result: ProcessRun, what: string): void {
  expect(result.code, `${what} failed:\n${result.stdout}\n${result.stderr}`).toBe(0);
}

interface PackedFile {
  filename: string;
  name: string;
  files: Array<{ path: string }>;
}

/** The SDK program of the README: it must type-check as TypeScript against the installed package. */
function readmeProgram(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const start = readme.indexOf('```ts\n', readme.indexOf('## Talk to it')) + '```ts\n'.length;
  return readme.slice(start, readme.indexOf('```\n', start));
}

const exampleTs = `import { AbortedError, createClient, type KeyValue } from '@holdfast/client';

const endpoints = (process.env['HOLDFAST_ENDPOINTS'] ?? '').split(',');
const client = createClient({ endpoints });
try {
  const put = await client.put('installed', 'yes', { signal: AbortSignal.timeout(10_000) });
  const kv: KeyValue | undefined = await client.get('installed');
  const aborted = await client.get('installed', { signal: AbortSignal.abort() }).catch((error: unknown) => error);
  console.log(JSON.stringify({ revision: put.revision, value: kv?.valueString(), aborted: aborted instanceof AbortedError }));
} finally {
  client.close();
}

// The types are the SDK's own, not \`any\`: a key is text or bytes.
export function neverCalled(): void {
  // @ts-expect-error a number is not a key
  void client.get(42);
}
`;

describe('the packed packages, installed outside the repository', () => {
  let workDir: string;
  let appDir: string;
  let packed: PackedFile[] = [];
  let cluster: ChildProcess | undefined;

  beforeAll(async () => {
    // realpath: on some systems the temporary folder is a symlink into another place.
    workDir = realpathSync(mkdtempSync(join(tmpdir(), 'holdfast-install-')));
    const pack = await run('npm', ['pack', '--json', '--pack-destination', workDir, ...published.flatMap((name) => ['-w', name])], {
      cwd: repoRoot,
    });
    expectSuccess(pack, 'npm pack');
    packed = JSON.parse(pack.stdout) as PackedFile[];
    appDir = join(workDir, 'app');
    mkdirSync(appDir);
    writeFileSync(join(appDir, 'package.json'), `${JSON.stringify({ name: 'app', private: true, type: 'module' })}\n`);
    const tarballs = packed.map((file) => join(workDir, file.filename));
    // --prefer-offline: the repository's own install filled the cache with the same versions.
    const install = await run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs, `@types/node@${typesNodeVersion}`],
      { cwd: appDir },
    );
    expectSuccess(install, 'npm install of the tarballs');
  }, 180_000);

  afterAll(async () => {
    if (cluster !== undefined && cluster.exitCode === null && cluster.signalCode === null) {
      cluster.kill('SIGKILL');
      await waitForExit(cluster, 5000);
    }
    if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
  });

  it('are the published packages, each with its license and nothing private', () => {
    expect(packed.map((file) => file.name).sort()).toEqual([...published].sort());
    const license = readFileSync(join(repoRoot, 'LICENSE'), 'utf8');
    for (const name of published) {
      const installed = join(appDir, 'node_modules', name);
      const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as Record<string, unknown>;
      expect(manifest['private'], name).toBeUndefined();
      expect(manifest['license'], name).toBe('MIT');
      // A scoped package is published restricted unless it says otherwise.
      expect(manifest['publishConfig'], name).toEqual({ access: 'public' });
      expect(readFileSync(join(installed, 'LICENSE'), 'utf8'), name).toBe(license);
      const dependencies = Object.keys((manifest['dependencies'] as Record<string, string> | undefined) ?? {});
      expect(dependencies.filter((dependency) => dependency.startsWith('@holdfast/') && !published.includes(dependency)), name).toEqual([]);
    }
    const protocolFiles = packed.find((file) => file.name === '@holdfast/protocol')?.files.map((file) => file.path) ?? [];
    expect(protocolFiles).toEqual(expect.arrayContaining(['proto/holdfast/v1/kv.proto', 'proto/holdfast/v1/raft.proto']));
  });

  it("type-check TypeScript programs that use the SDK, the README's among them", async () => {
    writeFileSync(join(appDir, 'example.ts'), exampleTs);
    writeFileSync(join(appDir, 'readme.ts'), readmeProgram());
    const tsconfig = {
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: ['node'], outDir: 'out' },
      files: ['example.ts', 'readme.ts'],
    };
    writeFileSync(join(appDir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
    expectSuccess(await run(process.execPath, [tscJs, '-p', 'tsconfig.json'], { cwd: appDir }), 'tsc');
  }, 60_000);

  it('give `npx holdfast --version`, and say the bench is not among them', async () => {
    const version = (JSON.parse(readFileSync(join(repoRoot, 'packages/cli/package.json'), 'utf8')) as { version: string }).version;
    const result = await run('npx', ['holdfast', '--version'], { cwd: appDir });
    expectSuccess(result, 'npx holdfast --version');
    expect(result.stdout.trim()).toBe(version);
    // The bench is not published: the installed CLI says where it lives instead of a stack trace.
    const bench = await run('npx', ['holdfast', 'bench', '--help'], { cwd: appDir });
    expect(bench.code).toBe(2);
    expect(bench.stderr).toMatch(/^UsageError: holdfast bench needs @holdfast\/bench, which ships with the repository only/);
  }, 60_000);

  it('start a cluster with the installed CLI, and put and get through the CLI and the SDK', async () => {
    cluster = spawn(join(appDir, 'node_modules/.bin/holdfast'), ['cluster', 'up', '--json', '--data-dir', 'data'], {
      cwd: appDir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const started = cluster;
    const endpoints = await new Promise<string[]>((resolve, reject) => {
      createInterface({ input: started.stdout! }).on('line', (line) => {
        const event = JSON.parse(line) as { event: string; endpoints?: string[] };
        if (event.event === 'up' && event.endpoints !== undefined) resolve(event.endpoints);
      });
      started.once('exit', (code) => reject(new Error(`cluster up exited with ${code} before it was up`)));
    });
    const env = { ...process.env, HOLDFAST_ENDPOINTS: endpoints.join(',') };

    expectSuccess(await run('npx', ['holdfast', 'put', 'greeting', 'hello'], { cwd: appDir, env }), 'holdfast put');
    const get = await run('npx', ['holdfast', 'get', 'greeting'], { cwd: appDir, env });
    expectSuccess(get, 'holdfast get');
    expect(get.stdout).toBe('hello\n');

    const program = await run(process.execPath, ['out/example.js'], { cwd: appDir, env });
    expectSuccess(program, 'the SDK program');
    expect(JSON.parse(program.stdout)).toEqual({ revision: 2, value: 'yes', aborted: true });
    const readme = await run(process.execPath, ['out/readme.js'], { cwd: appDir, env });
    expectSuccess(readme, "the README's SDK program");
    expect(readme.stdout).toMatch(/^hello \d+\nswapped\n/);

    started.kill('SIGINT');
    expect(await waitForExit(started, 20_000)).toBe(0);
  }, 120_000);
});
