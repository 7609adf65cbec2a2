// The README's "Talk to it" examples, run as written against a real cluster: every line of its
// CLI block through a shell, and its SDK program as `node hello.mjs`. The first command runs
// through `npx holdfast` as written; the others run the same bin with node directly, as npx
// would, without npm's second or so of start-up each (the installed-package test runs npx too). They
// run in a directory inside the repository (under the ignored .data/) where `holdfast cluster up`
// runs as `npm start` does, so `npx` and `@holdfast/client` resolve as they do for a reader, and
// the endpoints come from .data/cluster/cluster.json. Needs the packages built.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProcessRun, runProcess, waitForExit } from './helpers.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const holdfastBin = join(repoRoot, 'packages/cli/bin/holdfast.js');

/** The first fenced block of `language` after `heading` in README.md. */
function readmeBlock(heading: string, language: string): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.indexOf(heading);
  expect(section, `README.md has no '${heading}'`).toBeGreaterThanOrEqual(0);
  const open = readme.indexOf(`\`\`\`${language}\n`, section);
  expect(open, `no ${language} block after '${heading}'`).toBeGreaterThanOrEqual(0);
  const start = open + language.length + 4;
  return readme.slice(start, readme.indexOf('```\n', start));
}

/** A shell as a reader has it: no HOLDFAST_ENDPOINTS. */
function shellEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['HOLDFAST_ENDPOINTS'];
  return env;
}

function runShell(line: string, cwd: string): Promise<ProcessRun> {
  return runProcess('sh', ['-c', line], { cwd, env: shellEnv(), timeoutMs: 60_000 });
}

describe("the README's examples", () => {
  let workDir: string;
  let cluster: ChildProcess | undefined;
  const background: ChildProcess[] = [];

  beforeAll(async () => {
    mkdirSync(join(repoRoot, '.data'), { recursive: true });
    workDir = mkdtempSync(join(repoRoot, '.data', 'readme-'));
    // What `npm start` runs once the build is done, with the data in .data/cluster below workDir.
    const started = spawn(process.execPath, [holdfastBin, 'cluster', 'up', '--json'], { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] });
    cluster = started;
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: started.stdout! }).on('line', (line) => {
        if ((JSON.parse(line) as { event: string }).event === 'up') resolve();
      });
      started.once('exit', (code) => reject(new Error(`cluster up exited with ${code} before it was up`)));
    });
  }, 90_000);

  afterAll(async () => {
    for (const child of [...background, cluster]) {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await waitForExit(child, 5000);
      }
    }
    if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
  });

  it('the CLI lines each exit as their comments say, the watch in the background included', async () => {
    const lines = readmeBlock('## Talk to it', 'sh')
      .split('\n')
      .filter((line) => line.trim() !== '');
    expect(lines.length).toBeGreaterThan(5);
    const outputs = new Map<string, ProcessRun>();
    let watched = '';
    let watch: ChildProcess | undefined;
    for (const line of lines) {
      const [command = '', comment = ''] = line.split(/\s+#\s/);
      if (command.trim().endsWith('&')) {
        watch = spawn('sh', ['-c', command.trim().replace(/&$/, '')], { cwd: workDir, env: shellEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
        background.push(watch);
        watch.stdout?.on('data', (chunk: Buffer) => {
          watched += chunk.toString();
        });
        // As a reader would, go on once it says it is watching.
        const started = watch;
        await new Promise<void>((resolve, reject) => {
          let said = '';
          started.stderr?.on('data', (chunk: Buffer) => {
            said += chunk.toString();
            if (said.includes('holdfast: watching')) resolve();
          });
          started.once('exit', (code) => reject(new Error(`${command} exited with ${code} before watching: ${said}`)));
        });
        continue;
      }
      const result = await runShell(outputs.size === 0 ? line : line.replace(/^npx holdfast /, `node ${JSON.stringify(holdfastBin)} `), workDir);
      const expected = /exit status 1/.test(comment) ? 1 : 0;
      expect(result.code, `${line}\n${result.stdout}${result.stderr}`).toBe(expected);
      outputs.set(command.trim(), result);
    }
    const put = outputs.get('npx holdfast put greeting hello');
    expect(put?.stderr).toMatch(/^holdfast: using 127\.0\.0\.1:\d+,127\.0\.0\.1:\d+,127\.0\.0\.1:\d+ from \.data\/cluster\/cluster\.json\n$/);
    expect(outputs.get('npx holdfast get greeting')?.stdout).toBe('hello\n');
    expect(outputs.get('npx holdfast put greeting again --if-mod-revision 1')?.stderr).toMatch(/^CompareFailedError: /m);
    expect(JSON.parse(outputs.get('npx holdfast --json get greeting')?.stdout ?? '')).toMatchObject({ key: 'greeting', value: 'hello' });
    expect(watch).toBeDefined();
    expect(await waitForExit(watch!, 30_000)).toBe(0);
    expect(watched.trim().split('\n')).toHaveLength(3);
  }, 180_000);

  it('`npx holdfast` runs at the root of the repository (a workspace bin, linked by npm ci)', async () => {
    const version = (JSON.parse(readFileSync(join(repoRoot, 'packages/cli/package.json'), 'utf8')) as { version: string }).version;
    const result = await runShell('npx holdfast --version', repoRoot);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${version}\n`);
  }, 60_000);

  it('the SDK program runs as hello.mjs and prints what it promises', async () => {
    writeFileSync(join(workDir, 'hello.mjs'), readmeBlock('## Talk to it', 'ts'));
    const result = await runShell('node hello.mjs', workDir);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const printed = result.stdout.trim().split('\n');
    expect(printed[0]).toMatch(/^hello \d+$/);
    expect(printed.slice(1)).toEqual(['swapped', 'guard failed, nothing written', 'put greeting hi']);
  }, 60_000);
});
