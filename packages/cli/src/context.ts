import { readFileSync } from 'node:fs';
import { type ClientOptions, createClient, type HoldfastClient, HoldfastError, type TlsOptions } from '@holdfast/client';
import type { Command } from 'commander';
import { describeEndpoints, resolveEndpoints } from './endpoints.js';
import { UsageError } from './errors.js';
import { toJsonLine } from './format.js';

/** Everything a command touches outside itself, so tests can run commands in-process. */
export interface CliIo {
  writeOut(text: string): void;
  writeErr(text: string): void;
  readStdin(): Promise<string>;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  createClient(options: ClientOptions): HoldfastClient;
  /** Resolves with the signal's name when the user asks a long-running command to stop. */
  waitForStopSignal(): Promise<string>;
  /** Asks for a password (not echoed on a terminal; else the next line of stdin). Absent: none can be asked for. */
  promptPassword?(prompt: string): Promise<string>;
}

export interface GlobalOptions {
  endpoints?: string;
  json?: boolean;
  deadlineMs?: number;
  tlsCaFile?: string;
  tlsCertFile?: string;
  tlsKeyFile?: string;
  user?: string;
}

function readTlsFile(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new UsageError(`${flag} ${path}: ${(error as Error).message}`);
  }
}

/** TLS options from --tls-ca-file (and --tls-cert-file with --tls-key-file); undefined: plaintext. */
export function tlsFromFlags(globals: GlobalOptions): TlsOptions | undefined {
  const { tlsCaFile, tlsCertFile, tlsKeyFile } = globals;
  if (tlsCaFile === undefined) {
    if (tlsCertFile !== undefined || tlsKeyFile !== undefined) throw new UsageError('--tls-cert-file and --tls-key-file need --tls-ca-file');
    return undefined;
  }
  if ((tlsCertFile === undefined) !== (tlsKeyFile === undefined)) throw new UsageError('--tls-cert-file and --tls-key-file go together');
  const ca = readTlsFile('--tls-ca-file', tlsCaFile);
  if (tlsCertFile === undefined || tlsKeyFile === undefined) return { ca };
  return { ca, cert: readTlsFile('--tls-cert-file', tlsCertFile), key: readTlsFile('--tls-key-file', tlsKeyFile) };
}

export function processIo(): CliIo {
  return {
    writeOut: (text) => process.stdout.write(text),
    writeErr: (text) => process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    env: process.env,
    cwd: process.cwd(),
    createClient,
    promptPassword,
    waitForStopSignal: () =>
      new Promise((resolve) => {
        const stop = (signal: string) => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve(signal);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      }),
  };
}

/** Reads a password from the terminal without echoing it, or the first line of stdin when it is not a terminal. */
function promptPassword(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const input = process.stdin;
    process.stderr.write(prompt);
    if (!input.isTTY) {
      let text = '';
      const onData = (chunk: Buffer): void => {
        text += chunk.toString('utf8');
        const newline = text.indexOf('\n');
        if (newline < 0) return;
        input.off('data', onData);
        input.pause();
        process.stderr.write('\n');
        resolve(text.slice(0, newline).replace(/\r$/, ''));
      };
      input.on('data', onData);
      input.once('end', () => resolve(text.replace(/\r?\n$/, '')));
      input.once('error', reject);
      return;
    }
    let typed = '';
    input.setRawMode(true);
    input.resume();
    const onKey = (chunk: Buffer): void => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') {
          input.off('data', onKey);
          input.setRawMode(false);
          input.pause();
          process.stderr.write('\n');
          resolve(typed);
          return;
        }
        if (char === '\u0003') {
          input.setRawMode(false);
          reject(new UsageError('password prompt interrupted'));
          return;
        }
        typed = char === '\u007f' ? typed.slice(0, -1) : typed + char;
      }
    };
    input.on('data', onKey);
  });
}

/** The password variable `--user NAME` takes when the flag names none. */
export const PASSWORD_VARIABLE = 'HOLDFAST_PASSWORD';

/**
 * `--user NAME[:PASSWORD]`: the password from the flag, else HOLDFAST_PASSWORD, else asked for.
 * (A password on the command line shows in the process list: prefer the variable or the prompt.)
 */
export async function credentialsFromFlags(io: CliIo, user: string | undefined): Promise<{ user: string; password: string } | undefined> {
  if (user === undefined) return undefined;
  const colon = user.indexOf(':');
  const name = colon < 0 ? user : user.slice(0, colon);
  if (name === '') throw new UsageError('--user needs a user name');
  if (colon >= 0) return { user: name, password: user.slice(colon + 1) };
  const fromEnv = io.env[PASSWORD_VARIABLE];
  if (fromEnv !== undefined) return { user: name, password: fromEnv };
  if (io.promptPassword === undefined) throw new UsageError(`--user ${name}: give the password as NAME:PASSWORD or in ${PASSWORD_VARIABLE}`);
  return { user: name, password: await io.promptPassword(`Password for ${name}: `) };
}

/** What a command action gets: the io, the global options, and helpers to print. */
export class CommandContext {
  readonly io: CliIo;
  readonly globals: GlobalOptions;

  constructor(io: CliIo, command: Command) {
    this.io = io;
    this.globals = command.optsWithGlobals<GlobalOptions>();
  }

  get json(): boolean {
    return this.globals.json === true;
  }

  /** Prints `human` normally, or `data` as one JSON line with --json. */
  print(data: unknown, human: string): void {
    if (this.json) this.io.writeOut(`${toJsonLine(data)}\n`);
    else if (human !== '') this.io.writeOut(`${human}\n`);
  }

  note(text: string): void {
    if (!this.json) this.io.writeErr(`${text}\n`);
  }

  /** Runs `use` with a client for the resolved endpoints, and always closes it. */
  async withClient<T>(use: (client: HoldfastClient) => Promise<T>): Promise<T> {
    const resolved = resolveEndpoints({ flag: this.globals.endpoints, env: this.io.env, cwd: this.io.cwd });
    const { endpoints, source } = resolved;
    if (!resolved.fromUser) this.note(describeEndpoints(resolved, this.io.cwd));
    const tls = tlsFromFlags(this.globals);
    const credentials = await credentialsFromFlags(this.io, this.globals.user);
    const options: ClientOptions = {
      endpoints,
      ...(credentials === undefined ? {} : { credentials }),
      ...(this.globals.deadlineMs === undefined ? {} : { deadlineMs: this.globals.deadlineMs }),
      ...(tls === undefined ? {} : { tls }),
    };
    // A command is one short call: nothing listening at any endpoint is an answer, not a wait.
    const client = this.io.createClient({ ...options, batch: false, waitForMembers: false });
    try {
      return await use(client);
    } catch (error: unknown) {
      // Unreachable endpoints are most often the wrong endpoints: say where they came from (the
      // first line said so already when the user did not name them).
      const code = error instanceof HoldfastError ? error.code : undefined;
      if (resolved.fromUser && (code === 'timeout' || code === 'unavailable')) this.note(`(endpoints ${endpoints.join(',')} from ${source})`);
      throw error;
    } finally {
      client.close();
    }
  }
}

export function parseNonNegativeInteger(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value)) {
    throw new UsageError(`expected a non-negative integer, got '${text}'`);
  }
  return value;
}

export function parsePositiveInteger(text: string): number {
  const value = parseNonNegativeInteger(text);
  if (value === 0) throw new UsageError(`expected a positive integer, got '${text}'`);
  return value;
}
