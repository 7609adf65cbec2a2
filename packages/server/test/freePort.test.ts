/**
 * freePort hands each port out once per machine while its taker lives: test processes run side
 * by side and stop members for a while, and two members given one port fail with EADDRINUSE.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort } from '../src/localCluster.js';

const BUILT = fileURLToPath(new URL('../dist/localCluster.js', import.meta.url));

async function ports(count: number): Promise<number[]> {
  const taken: number[] = [];
  for (let i = 0; i < count; i += 1) taken.push(await freePort());
  return taken;
}

describe('freePort', () => {
  it('never hands out a port twice in one process, even while nothing listens on it', async () => {
    const taken = await ports(300);
    expect(new Set(taken).size).toBe(300);
  });

  it('never hands another live process a port this one took', async () => {
    const mine = new Set(await ports(200));
    const script = `import { freePort } from ${JSON.stringify(BUILT)};
const out = [];
for (let i = 0; i < 200; i += 1) out.push(await freePort());
process.stdout.write(JSON.stringify(out));`;
    const theirs = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' })) as number[];
    expect(theirs).toHaveLength(200);
    expect(theirs.filter((port) => mine.has(port))).toEqual([]);
  });
});
