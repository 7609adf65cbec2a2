/**
 * Small files written durably: the target holds the whole new contents and no temporary file is
 * left behind, in the async and the synchronous form alike.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileDurably, writeFileDurablySync } from '../src/index.js';
import { bytes, makeTempDir } from './helpers.js';

let temp: Awaited<ReturnType<typeof makeTempDir>>;
beforeEach(async () => {
  temp = await makeTempDir();
});
afterEach(() => temp.remove());

const writers = {
  writeFileDurably: (path: string, contents: string) => writeFileDurably(path, bytes(contents)),
  writeFileDurablySync: async (path: string, contents: string) => writeFileDurablySync(path, contents),
};

describe.each(Object.entries(writers))('%s', (_name, write) => {
  it('replaces the file whole and leaves no temporary file', async () => {
    const file = join(temp.dir, 'marker');
    await write(file, 'first\n');
    await write(file, 'second, longer\n');
    expect(readFileSync(file, 'utf8')).toBe('second, longer\n');
    expect(readdirSync(temp.dir)).toEqual(['marker']);
  });
});
