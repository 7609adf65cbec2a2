// holdfast auth|user|role and --user against a real node process on loopback (needs the packages built).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliCluster, type Run } from './helpers.js';

describe('holdfast auth, user, role and --user', () => {
  let fixture: CliCluster;
  const prompted: string[] = [];

  beforeAll(async () => {
    fixture = await CliCluster.start({ name: 'auth', size: 1 });
  }, 60_000);

  afterAll(async () => {
    await fixture?.close();
  });

  function holdfast(env: Record<string, string>, ...argv: string[]): Promise<Run> {
    const promptPassword = async (prompt: string): Promise<string> => {
      prompted.push(prompt);
      return 'prompted-password';
    };
    // A generous budget per call: a login hashes a password with scrypt, slow on a loaded machine.
    return fixture.holdfastWith({ env, promptPassword }, '--deadline-ms', '30000', ...argv);
  }

  it('sets up users and roles, enables auth, and logs in with --user', async () => {
    const steps = [
      ['role', 'add', 'root'],
      ['user', 'add', 'root', '--password', 'root-pw'],
      ['user', 'grant-role', 'root', 'root'],
      ['role', 'add', 'reader'],
      ['role', 'grant', 'reader', 'read', 'docs/', '--prefix'],
      ['role', 'grant', 'reader', 'admin', 'backup'],
      ['user', 'add', 'carol'],
      ['user', 'grant-role', 'carol', 'reader'],
      ['user', 'add', 'svc', '--no-password'],
      ['auth', 'enable', '--token-ttl-ms', '60000'],
    ];
    for (const step of steps) {
      const run = await holdfast({}, ...step);
      expect(run.code, `${step.join(' ')}: ${run.err}`).toBe(0);
    }
    expect(prompted).toEqual(['New password for carol: ']);

    const anonymous = await holdfast({}, 'get', 'docs/a');
    expect(anonymous.code).toBe(1);
    expect(anonymous.err).toMatch(/^UnauthenticatedError: /);
    expect((await holdfast({}, '--user', 'root:root-pw', 'put', 'docs/a', 'text')).code).toBe(0);
    // The password from HOLDFAST_PASSWORD, then from the prompt.
    expect((await holdfast({ HOLDFAST_PASSWORD: 'prompted-password' }, '--user', 'carol', 'get', 'docs/a')).out).toBe('text\n');
    expect((await holdfast({}, '--user', 'carol', 'get', 'docs/a')).out).toBe('text\n');
    expect(prompted).toContain('Password for carol: ');
    const denied = await holdfast({}, '--user', 'carol', 'put', 'docs/a', 'changed');
    expect(denied.code).toBe(1);
    expect(denied.err).toMatch(/^PermissionDeniedError: .*no readwrite grant on key "docs\/a"/);
    const wrong = await holdfast({}, '--user', 'carol:nope', 'get', 'docs/a');
    expect(wrong.err).toMatch(/^UnauthenticatedError: wrong user name or password/);
  }, 60_000);

  it('lists users and roles, and changes them', async () => {
    const users = await holdfast({}, '--user', 'root:root-pw', 'user', 'list');
    expect(users.out).toBe('carol\treader\nroot\troot\nsvc\t-\t(no password)\n');
    const roles = await holdfast({}, '--user', 'root:root-pw', '--json', 'role', 'list');
    expect(roles.code, roles.err).toBe(0);
    expect((await holdfast({}, '--user', 'root:root-pw', 'role', 'list')).out).toBe('reader\n  read ["docs/", "docs0")\n  admin backup\nroot\n');
    expect((await holdfast({}, '--user', 'carol', 'user', 'list')).err).toMatch(/^PermissionDeniedError: .*admin right "auth"/);
    expect((await holdfast({}, '--user', 'root:root-pw', 'role', 'revoke', 'reader', 'admin', 'backup')).code).toBe(0);
    expect((await holdfast({}, '--user', 'carol', 'user', 'passwd', 'carol', '--password', 'carol-2')).code).toBe(0);
    expect((await holdfast({}, '--user', 'carol:carol-2', 'get', 'docs/a')).out).toBe('text\n');
    expect((await holdfast({}, '--user', 'carol:carol-2', 'user', 'passwd', 'root', '--password', 'x')).err).toMatch(/^PermissionDeniedError: /);
    expect((await holdfast({}, '--user', 'root:root-pw', 'auth', 'status')).out).toMatch(/^auth enabled; revision \d+; token TTL 60000 ms; 1 signing key\(s\)\n$/);
    expect((await holdfast({}, '--user', 'root:root-pw', 'auth', 'disable')).code).toBe(0);
    expect((await holdfast({}, 'get', 'docs/a')).out).toBe('text\n');
  }, 60_000);

  it('refuses a malformed permission as a usage error', async () => {
    const run = await holdfast({}, 'role', 'grant', 'reader', 'write', 'x');
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/expected read\|readwrite KEY/);
  });
});
