// ReloadableTls in process: unchanged files change nothing; a certificate whose key has not been
// replaced yet is refused and the material in use stays; the matching pair is taken and every
// listener (the listeners and channels grpc-js registers) hears of it.
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config-error.js';
import { loadTls, ReloadableTls } from '../src/tls.js';
import { tempDir } from './helpers.js';

const fixtures = fileURLToPath(new URL('./fixtures/tls/', import.meta.url));
const dir = tempDir('tls-reload');
afterAll(() => dir.remove());

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('ReloadableTls', () => {
  it('takes a new matching pair, refuses a mismatched one and keeps what it has', async () => {
    const files = { tlsCertFile: join(dir.path, 'cert.pem'), tlsKeyFile: join(dir.path, 'key.pem'), tlsCaFile: join(dir.path, 'ca.pem'), tlsClientAuth: false };
    copyFileSync(join(fixtures, 'node.pem'), files.tlsCertFile);
    copyFileSync(join(fixtures, 'node-key.pem'), files.tlsKeyFile);
    copyFileSync(join(fixtures, 'ca.pem'), files.tlsCaFile);
    const initial = loadTls(files);
    expect(initial).toBeDefined();
    const reloadable = new ReloadableTls(initial as NonNullable<typeof initial>);
    const heard: Buffer[] = [];
    reloadable.addIdentityCertificateListener((update) => {
      if (update !== null) heard.push(update.certificate);
    });
    await settle();
    expect(heard.length).toBe(1);
    expect(reloadable.reload()).toBe(false);

    copyFileSync(join(fixtures, 'client.pem'), files.tlsCertFile);
    expect(() => reloadable.reload()).toThrow(ConfigError);
    expect(() => reloadable.reload()).toThrow(/does not match the certificate/);
    expect(reloadable.material.cert.equals(readFileSync(join(fixtures, 'node.pem')))).toBe(true);
    expect(heard.length).toBe(1);

    copyFileSync(join(fixtures, 'client-key.pem'), files.tlsKeyFile);
    expect(reloadable.reload()).toBe(true);
    expect(reloadable.material.cert.equals(readFileSync(join(fixtures, 'client.pem')))).toBe(true);
    expect(heard.at(-1)?.equals(readFileSync(join(fixtures, 'client.pem')))).toBe(true);
  });
});
