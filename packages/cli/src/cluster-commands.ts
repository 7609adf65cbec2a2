import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import type { Member } from '@holdfast/client';
import type { Command } from 'commander';
import { type CliIo, CommandContext, parsePositiveInteger } from './context.js';
import { lockDataDir } from './data-dir-lock.js';
import { defaultClusterDataDir } from './endpoints.js';
import { UsageError } from './errors.js';
import { renderPlacement, renderRttMatrix, renderStatus, renderTable } from './format.js';
import { describeMemberEvent, type MemberEvent, MemberSupervisor } from './member-supervisor.js';
import { loadRegionalCluster } from './bench-command.js';
import { type LocalClusterHandle, loadServerModule } from './server-module.js';

const nodesMax = 9;

/** Runs one node in this process until it is stopped (SIGTERM/SIGINT, handled by the node). */
export async function runNodeCommand(flags: readonly string[], io: CliIo): Promise<void> {
  const server = await loadServerModule();
  if (flags.includes('--help') || flags.includes('-h')) {
    io.writeOut(
      `Usage: holdfast node [flags]\n\nRuns one holdfast node. Each flag can also be set by the environment variable shown.\n\n${server.configHelp()}\n`,
    );
    return;
  }
  await server.runNode(flags);
}
const leaderWaitMs = 30_000;

export function addClusterCommands(program: Command, io: CliIo): void {
  program
    .command('node')
    .description('run one node (flags as documented by `holdfast node --help`)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[flags...]')
    // runCli hands `node` argv over before parsing; this entry exists for the command list.
    .action(async (flags: string[]) => runNodeCommand(flags, io));

  const cluster = program.command('cluster').description('local clusters for development');
  cluster
    .command('up')
    .description('start a local cluster on free loopback ports; Ctrl-C stops it, a second `up` resumes its data')
    .option('--nodes <n>', 'members of a new cluster (3 or 5; ignored when the data dir holds one)', parsePositiveInteger, 3)
    .option('--data-dir <dir>', 'where nodes keep data, logs and cluster.json', defaultClusterDataDir)
    .option('--no-restart', 'leave a member that exits down (default: report it and start it again, with backoff)')
    .option('--regions <preset|file>', 'members in emulated regions behind latency proxies: three-regions, two-regions or a JSON layout (a new cluster each time; needs the repository bench)')
    .option('--read-mode <mode>', 'with --regions: read-index or lease on every member')
    .action(async (options: { nodes: number; dataDir: string; restart: boolean; regions?: string; readMode?: string }, command: Command) => {
      const context = new CommandContext(io, command);
      if (options.nodes > nodesMax) throw new UsageError(`--nodes is at most ${nodesMax}, got ${options.nodes}`);
      if (options.readMode !== undefined && options.readMode !== 'read-index' && options.readMode !== 'lease') {
        throw new UsageError(`--read-mode is read-index or lease, got ${options.readMode}`);
      }
      const dataDir = resolve(io.cwd, options.dataDir);
      if (options.regions !== undefined) {
        const readMode = options.readMode as 'read-index' | 'lease' | undefined;
        await runRegionalClusterUp(context, { nodes: options.nodes, dataDir, regions: options.regions, ...(readMode === undefined ? {} : { readMode }) });
        return;
      }
      await runClusterUp(context, { nodes: options.nodes, dataDir, restart: options.restart });
    });

  program
    .command('status')
    .description('every member: role, term, leader, commit and applied index, and followers’ match index; the layout by region')
    .option('--rtt', 'also the round-trip times each member measured to each peer (a matrix)')
    .action(async (options: { rtt?: boolean }, command: Command) => {
      const context = new CommandContext(io, command);
      const status = await context.withClient((client) => client.status());
      context.print(status, options.rtt === true ? `${renderStatus(status)}\n\n${renderRttMatrix(status)}` : renderStatus(status));
    });

  addPlacementCommands(program, io);

  addMemberCommands(program, io);

  const leader = program.command('leader').description('leadership');
  leader
    .command('transfer')
    .description('hand leadership to another voter')
    .option('--to <id>', 'the member to lead (default: the most caught-up voter)', parsePositiveInteger)
    .action(async (options: { to?: number }, command: Command) => {
      const context = new CommandContext(io, command);
      const result = await context.withClient((client) => client.transferLeadership(options.to ?? 0));
      context.print(result, `leader is now member ${result.leaderId}`);
    });
}

function addPlacementCommands(program: Command, io: CliIo): void {
  const placement = program.command('placement').description('where the leader should be and what the voters must survive');
  placement
    .command('show')
    .description('the placement setting, the voters per region and whether they survive losing a region')
    .action(async (_options: object, command: Command) => {
      const context = new CommandContext(io, command);
      const status = await context.withClient((client) => client.status());
      const survives = status.survivesRegionLoss ? 'survives the loss of any one region' : 'does NOT survive the loss of every region';
      const result = { placement: status.placement, layout: status.layout, survivesRegionLoss: status.survivesRegionLoss };
      context.print(result, `${renderPlacement(status.placement)}\nvoters: ${status.layout} (${survives})`);
    });
  placement
    .command('set')
    .description('change the placement setting (cluster-wide, through the log); options left out keep their value')
    .option('--leader-regions <list>', 'regions the leader should be in, most preferred first (comma separated; "" for none)')
    .option('--survive <goal>', 'member | region: what the voters must survive')
    .action(async (options: { leaderRegions?: string; survive?: string }, command: Command) => {
      const context = new CommandContext(io, command);
      if (options.leaderRegions === undefined && options.survive === undefined) throw new UsageError('give --leader-regions, --survive or both');
      if (options.survive !== undefined && options.survive !== 'member' && options.survive !== 'region') {
        throw new UsageError(`--survive is member or region, got ${options.survive}`);
      }
      const change = {
        ...(options.leaderRegions === undefined ? {} : { leaderRegions: splitRegions(options.leaderRegions) }),
        ...(options.survive === undefined ? {} : { survive: options.survive as 'member' | 'region' }),
      };
      const result = await context.withClient((client) => client.setPlacement(change));
      context.print(result, renderPlacement(result));
    });
}

function splitRegions(list: string): string[] {
  return list
    .split(',')
    .map((region) => region.trim())
    .filter((region) => region !== '');
}

async function runClusterUp(context: CommandContext, options: { nodes: number; dataDir: string; restart: boolean }): Promise<void> {
  // Before anything starts: a second cluster up on the same data would fight the running one.
  const lock = lockDataDir(options.dataDir);
  try {
    const server = await loadServerModule();
    const resumed = existsSync(join(options.dataDir, 'cluster.json'));
    const local = await server.LocalCluster.start({ dataDir: options.dataDir, size: options.nodes });
    const supervisor = new MemberSupervisor(local, { restart: options.restart, report: (event) => reportMemberEvent(context, event) });
    try {
      const leader = await local.waitForLeader(leaderWaitMs);
      if (resumed && local.members.length !== options.nodes) {
        context.note(`(resumed the ${local.members.length}-member cluster in ${options.dataDir}; --nodes ignored)`);
      }
      printClusterUp(context, local, { dataDir: options.dataDir, leaderName: leader.name, resumed });
      supervisor.start();
      const signal = await context.io.waitForStopSignal();
      context.note(`${signal}: stopping the cluster...`);
    } finally {
      supervisor.stop();
      await local.stop();
    }
  } finally {
    lock.release();
  }
  context.print({ event: 'stopped' }, 'stopped');
}

/**
 * `cluster up --regions`: the bench's members behind latency proxies (a new cluster in a fresh
 * folder under --data-dir each time), until Ctrl-C.
 */
async function runRegionalClusterUp(
  context: CommandContext,
  options: { nodes: number; dataDir: string; regions: string; readMode?: 'read-index' | 'lease' },
): Promise<void> {
  const lock = lockDataDir(options.dataDir);
  try {
    const start = await loadRegionalCluster();
    const runDir = join(options.dataDir, `regions-${Date.now()}`);
    const cluster = await start({ dataDir: runDir, nodes: options.nodes, regions: options.regions, ...(options.readMode === undefined ? {} : { readMode: options.readMode }) });
    try {
      const endpoints = cluster.members.map((m) => m.address);
      const rows = cluster.members.map((m) => [String(m.id), m.name, m.region, m.address]);
      const lines = [
        `holdfast: ${cluster.members.length} nodes up in ${cluster.description}; data in ${runDir}`,
        '',
        renderTable(['ID', 'NAME', 'REGION', 'CLIENT ADDRESS (PROXY)'], rows),
        '',
        `endpoints: ${endpoints.join(',')}`,
        '',
        'From another shell:',
        `  export HOLDFAST_ENDPOINTS=${endpoints.join(',')}`,
        '  npx holdfast status --rtt',
        '  npx holdfast placement show',
        '',
        'Ctrl-C stops the cluster.',
      ];
      context.print({ event: 'up', dataDir: runDir, endpoints, members: cluster.members, regions: cluster.description }, lines.join('\n'));
      const signal = await context.io.waitForStopSignal();
      context.note(`${signal}: stopping the cluster...`);
    } finally {
      await cluster.stop();
    }
  } finally {
    lock.release();
  }
  context.print({ event: 'stopped' }, 'stopped');
}

/** A member's exit or restart: one JSON line on stdout with --json, else one line on stderr. */
function reportMemberEvent(context: CommandContext, event: MemberEvent): void {
  if (context.json) context.print(event, '');
  else context.io.writeErr(`${describeMemberEvent(event)}\n`);
}

function printClusterUp(
  context: CommandContext,
  local: LocalClusterHandle,
  details: { dataDir: string; leaderName: string; resumed: boolean },
): void {
  const endpoints = local.endpoints();
  const members = local.members.filter((member) => !member.removed);
  const rows = members.map((member) => [String(member.id), member.name, member.region, member.clientAddress]);
  const where = relative(context.io.cwd, details.dataDir);
  const inDefaultPlace = where === defaultClusterDataDir;
  const lines = [
    `holdfast: ${members.length} nodes up (${details.resumed ? 'resumed' : 'new'}; data in ${details.dataDir}; leader ${details.leaderName})`,
    '',
    renderTable(['ID', 'NAME', 'REGION', 'CLIENT ADDRESS'], rows),
    '',
    `endpoints: ${endpoints.join(',')}`,
    '',
    inDefaultPlace
      ? 'From another shell in this directory (or one below it), the CLI finds them by itself:'
      : 'From another shell:',
    ...(inDefaultPlace ? [] : [`  export HOLDFAST_ENDPOINTS=${endpoints.join(',')}`]),
    '  npx holdfast put greeting hello',
    '  npx holdfast get greeting',
    '  npx holdfast status',
    "From code (@holdfast/client), where the CLI would find them:",
    '  createClient({ endpoints: discoverEndpoints() })',
    `  or createClient({ endpoints: ${JSON.stringify(endpoints)} })`,
    '',
    'Ctrl-C stops the cluster; `holdfast cluster up` again resumes it from the same data.',
  ];
  const memberViews = members.map((member) => ({
    id: member.id,
    name: member.name,
    region: member.region,
    clientAddress: member.clientAddress,
    peerAddress: member.peerAddress,
    logFile: member.logFile,
    pid: local.pid(member.id),
  }));
  context.print(
    { event: 'up', dataDir: details.dataDir, resumed: details.resumed, endpoints, members: memberViews },
    lines.join('\n'),
  );
}

function renderMembers(members: readonly Member[]): string {
  const rows = members.map((member) => [
    String(member.id),
    member.name,
    member.region,
    member.learner ? 'learner' : 'voter',
    member.clientAddress,
    member.peerAddress,
  ]);
  return renderTable(['ID', 'NAME', 'REGION', 'KIND', 'CLIENT ADDRESS', 'PEER ADDRESS'], rows);
}

function addMemberCommands(program: Command, io: CliIo): void {
  const members = program.command('members').description('cluster membership');
  members
    .command('list')
    .description('list members')
    .action(async (_options: object, command: Command) => {
      const context = new CommandContext(io, command);
      const list = await context.withClient((client) => client.members.list());
      context.print(list, renderMembers(list));
    });
  members
    .command('add')
    .description('add a learner (start its node with --join, then promote it once it has caught up)')
    .argument('<name>')
    .requiredOption('--client-address <host:port>', "the new node's client address")
    .requiredOption('--peer-address <host:port>', "the new node's peer address")
    .option('--region <region>', 'region label', '')
    .action(
      async (name: string, options: { clientAddress: string; peerAddress: string; region: string }, command: Command) => {
        const context = new CommandContext(io, command);
        const result = await context.withClient((client) => client.members.addLearner({ name, ...options }));
        const id = result.member?.id ?? 0;
        context.print(result, `added learner ${id}\n\n${renderMembers(result.members)}`);
      },
    );
  members
    .command('promote')
    .description('make a caught-up learner a voter')
    .argument('<id>', 'member id', parsePositiveInteger)
    .action(async (id: number, _options: object, command: Command) => {
      const context = new CommandContext(io, command);
      const list = await context.withClient((client) => client.members.promote(id));
      context.print(list, renderMembers(list));
    });
  members
    .command('remove')
    .description('remove a member')
    .argument('<id>', 'member id', parsePositiveInteger)
    .action(async (id: number, _options: object, command: Command) => {
      const context = new CommandContext(io, command);
      const list = await context.withClient((client) => client.members.remove(id));
      context.print(list, renderMembers(list));
    });
}
