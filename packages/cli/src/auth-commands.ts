/** `holdfast auth ...`, `holdfast user ...` and `holdfast role ...`: the cluster's users, roles and auth switch. */
import type { AuthPermission, HoldfastClient } from '@holdfast/client';
import type { Command } from 'commander';
import { type CliIo, CommandContext, parsePositiveInteger } from './context.js';
import { UsageError } from './errors.js';

const ADMIN_RIGHTS = ['membership', 'backup', 'compaction', 'auth'] as const;

/**
 * A permission from the command line: `read KEY [END]`, `readwrite KEY [END]` (with --prefix:
 * every key starting with KEY; END "\0" or --from: every key from KEY on), or `admin RIGHT`.
 */
export function parsePermission(words: readonly string[], options: { prefix?: boolean; from?: boolean }): AuthPermission {
  const [kind, key, end, extra] = words;
  if (kind === 'admin') {
    const right = ADMIN_RIGHTS.find((candidate) => candidate === key);
    if (right === undefined || end !== undefined) throw new UsageError(`expected admin ${ADMIN_RIGHTS.join('|')}`);
    return { type: 'admin', right };
  }
  if ((kind !== 'read' && kind !== 'readwrite') || key === undefined || key === '' || extra !== undefined) {
    throw new UsageError('expected read|readwrite KEY [END] (--prefix, --from), or admin RIGHT');
  }
  if (options.prefix === true) {
    if (end !== undefined || options.from === true) throw new UsageError('--prefix takes KEY alone');
    return { type: 'keys', access: kind, key, prefix: true };
  }
  if (options.from === true) return { type: 'keys', access: kind, key, rangeEnd: '\0' };
  return end === undefined ? { type: 'keys', access: kind, key } : { type: 'keys', access: kind, key, rangeEnd: end };
}

function describePermission(permission: AuthPermission): string {
  if (permission.type === 'admin') return `admin ${permission.right}`;
  const key = Buffer.from(permission.key).toString('utf8');
  if (permission.rangeEnd === undefined) return `${permission.access} ${JSON.stringify(key)}`;
  const end = Buffer.from(permission.rangeEnd);
  if (end.length === 1 && end[0] === 0) return `${permission.access} from ${JSON.stringify(key)} on`;
  return `${permission.access} [${JSON.stringify(key)}, ${JSON.stringify(end.toString('utf8'))})`;
}

/** A new password: --password, else asked for (twice on a terminal would be kinder; once here). */
async function newPassword(io: CliIo, name: string, given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  if (io.promptPassword === undefined) throw new UsageError(`give the password of ${name} with --password`);
  const password = await io.promptPassword(`New password for ${name}: `);
  if (password === '') throw new UsageError('the password must not be empty (or add the user with --no-password)');
  return password;
}

type Change = (client: HoldfastClient) => Promise<{ revision: number }>;

function runChange(io: CliIo, command: Command, change: Change, done: string): Promise<void> {
  const context = new CommandContext(io, command);
  return context.withClient(async (client) => {
    const { revision } = await change(client);
    context.print({ ok: true, authRevision: revision }, `${done} (auth revision ${revision})`);
  });
}

function addAuthSwitch(program: Command, io: CliIo): void {
  const auth = program.command('auth').description('turn authentication and authorization on or off for the whole cluster');
  auth
    .command('enable')
    .description('turn auth on (needs user root holding role root); every call then needs credentials')
    .option('--token-ttl-ms <ms>', "how long a token lives (default: the members' --auth-token-ttl-ms)", parsePositiveInteger)
    .action((options: { tokenTtlMs?: number }, command: Command) => runChange(io, command, (c) => c.auth.enable(options.tokenTtlMs ?? 0), 'auth enabled'));
  auth
    .command('disable')
    .description('turn auth off: every call is served without credentials')
    .action((_options: object, command: Command) => runChange(io, command, (c) => c.auth.disable(), 'auth disabled'));
  auth
    .command('rotate-key')
    .description('sign new tokens with a new key; tokens signed by the previous one pass until they expire')
    .action((_options: object, command: Command) => runChange(io, command, (c) => c.auth.rotateSigningKey(), 'signing key rotated'));
  auth
    .command('status')
    .description('whether auth is on, its revision, the token lifetime')
    .action(async (_options: object, command: Command) => {
      const context = new CommandContext(io, command);
      const status = await context.withClient((client) => client.auth.status());
      context.print(status, `auth ${status.enabled ? 'enabled' : 'disabled'}; revision ${status.revision}; token TTL ${status.tokenTtlMs} ms; ${status.signingKeys} signing key(s)`);
    });
}

function addUserCommands(program: Command, io: CliIo): void {
  const user = program.command('user').description('users: a password (or a certificate naming them) and roles');
  user
    .command('add')
    .description('add user NAME (password: --password, else asked for; --no-password: certificate identity only)')
    .argument('<name>')
    .option('--password <password>', 'the password (shows in the process list: prefer the prompt)')
    .option('--no-password', 'no password: the user is known only by a client certificate naming it')
    .action(async (name: string, options: { password?: string | boolean }, command: Command) => {
      const password = options.password === false ? undefined : await newPassword(io, name, typeof options.password === 'string' ? options.password : undefined);
      await runChange(io, command, (c) => c.auth.userAdd(name, password), `user ${name} added`);
    });
  user
    .command('delete')
    .argument('<name>')
    .action((name: string, _options: object, command: Command) => runChange(io, command, (c) => c.auth.userDelete(name), `user ${name} deleted`));
  user
    .command('passwd')
    .description("change NAME's password (a user may change its own; others' need the auth right)")
    .argument('<name>')
    .option('--password <password>', 'the new password (else asked for)')
    .action(async (name: string, options: { password?: string }, command: Command) => {
      const password = await newPassword(io, name, options.password);
      await runChange(io, command, (c) => c.auth.userChangePassword(name, password), `password of ${name} changed`);
    });
  user
    .command('grant-role')
    .argument('<name>')
    .argument('<role>')
    .action((name: string, role: string, _options: object, command: Command) =>
      runChange(io, command, (c) => c.auth.userGrantRole(name, role), `user ${name} holds role ${role}`),
    );
  user
    .command('revoke-role')
    .argument('<name>')
    .argument('<role>')
    .action((name: string, role: string, _options: object, command: Command) =>
      runChange(io, command, (c) => c.auth.userRevokeRole(name, role), `role ${role} taken from user ${name}`),
    );
  user
    .command('list')
    .action(async (_options: object, command: Command) => {
      const context = new CommandContext(io, command);
      const users = await context.withClient((client) => client.auth.userList());
      context.print(users, users.map((u) => `${u.name}\t${u.roles.join(',') || '-'}${u.hasPassword ? '' : '\t(no password)'}`).join('\n'));
    });
}

function addRoleCommands(program: Command, io: CliIo): void {
  const role = program.command('role').description('roles: read or readwrite on keys, ranges and prefixes; admin rights; root has all');
  role
    .command('add')
    .argument('<name>')
    .action((name: string, _options: object, command: Command) => runChange(io, command, (c) => c.auth.roleAdd(name), `role ${name} added`));
  role
    .command('delete')
    .argument('<name>')
    .action((name: string, _options: object, command: Command) => runChange(io, command, (c) => c.auth.roleDelete(name), `role ${name} deleted`));
  for (const verb of ['grant', 'revoke'] as const) {
    role
      .command(verb)
      .description(`${verb} ROLE read|readwrite KEY [END] (--prefix, --from), or admin membership|backup|compaction|auth`)
      .argument('<name>')
      .argument('<permission...>')
      .option('--prefix', 'every key starting with KEY')
      .option('--from', 'every key from KEY on')
      .action((name: string, words: string[], options: { prefix?: boolean; from?: boolean }, command: Command) => {
        const permission = parsePermission(words, options);
        const change: Change = (c) => (verb === 'grant' ? c.auth.roleGrant(name, permission) : c.auth.roleRevoke(name, permission));
        return runChange(io, command, change, `role ${name}: ${verb === 'grant' ? 'granted' : 'revoked'} ${describePermission(permission)}`);
      });
  }
  role
    .command('list')
    .action(async (_options: object, command: Command) => {
      const context = new CommandContext(io, command);
      const roles = await context.withClient((client) => client.auth.roleList());
      const text = roles.map((r) => `${r.name}${r.permissions.map((p) => `\n  ${describePermission(p)}`).join('')}`).join('\n');
      context.print(roles, text);
    });
}

export function addAuthCommands(program: Command, io: CliIo): void {
  addAuthSwitch(program, io);
  addUserCommands(program, io);
  addRoleCommands(program, io);
}
