import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APPLY_VERSION_LATEST } from '@holdfast/storage';
import { describe, expect, it } from 'vitest';
import { ConfigError, electionTiming, parseNodeConfig } from '../src/config.js';
import { tempDir } from './helpers.js';

const base = ['--id', '1', '--data-dir', '/tmp/holdfast-config-test'];
const tlsFixture = (name: string): string => fileURLToPath(new URL(`./fixtures/tls/${name}`, import.meta.url));

function refusal(argv: string[], env: Record<string, string> = {}): ConfigError {
  try {
    parseNodeConfig(argv, env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`configuration ${argv.join(' ')} was accepted`);
}

describe('node configuration', () => {
  it('fills defaults and makes a lone node its own initial cluster', () => {
    const config = parseNodeConfig(base, {});
    expect(config.id).toBe(1);
    expect(config.name).toBe('node-1');
    expect(config.initialCluster).toEqual([
      { id: 1, name: 'node-1', region: 'local', peerAddress: config.peerListen, clientAddress: config.clientListen },
    ]);
    expect(config.failpoints).toEqual({ fsyncDelayMs: 0, fsyncFail: false, diskFull: false, applyVersionMax: 0 });
  });

  it('parses the initial cluster, dial overrides and failpoints', () => {
    const config = parseNodeConfig(
      [
        ...base,
        '--initial-cluster',
        '1=a/eu/127.0.0.1:7101/127.0.0.1:7001,2=b/us/127.0.0.1:7102/127.0.0.1:7002',
        '--peer-dial',
        '2=127.0.0.1:9002',
        '--failpoints',
        'fsync-delay-ms=50,disk-full,apply-version-max=1',
      ],
      {},
    );
    expect(config.initialCluster.map((m) => [m.id, m.name, m.region])).toEqual([
      [1, 'a', 'eu'],
      [2, 'b', 'us'],
    ]);
    expect(config.peerDial.get(2)).toBe('127.0.0.1:9002');
    expect(config.failpoints).toEqual({ fsyncDelayMs: 50, fsyncFail: false, diskFull: true, applyVersionMax: 1 });
  });

  it('takes flags over environment over file', () => {
    const dir = tempDir('config');
    try {
      const file = join(dir.path, 'node.json');
      writeFileSync(file, JSON.stringify({ tickMs: 7, electionTicks: 30, region: 'file-region' }));
      const config = parseNodeConfig([...base, '--config', file, '--tick-ms', '9'], {
        HOLDFAST_TICK_MS: '8',
        HOLDFAST_ELECTION_TICKS: '20',
      });
      expect(config.tickMs).toBe(9);
      expect(config.electionTicks).toBe(20);
      expect(config.region).toBe('file-region');
    } finally {
      dir.remove();
    }
  });

  it('reads the initial cluster from the config file, refusing a member with a missing field', () => {
    const dir = tempDir('config');
    try {
      const file = join(dir.path, 'node.json');
      const member = { id: 1, name: 'a', region: 'eu', peerAddress: '127.0.0.1:7101', clientAddress: '127.0.0.1:7001' };
      writeFileSync(file, JSON.stringify({ initialCluster: [member] }));
      const config = parseNodeConfig(['--id', '1', '--data-dir', dir.path, '--config', file], {});
      expect(config.initialCluster).toEqual([member]);
      const { region: _, ...withoutRegion } = member;
      writeFileSync(file, JSON.stringify({ initialCluster: [withoutRegion] }));
      expect(() => parseNodeConfig(['--id', '1', '--data-dir', dir.path, '--config', file], {})).toThrow(/member 1 in the config file has no region/);
    } finally {
      dir.remove();
    }
  });

  it('refuses a missing id or data dir, naming the setting', () => {
    expect(refusal(['--data-dir', '/tmp/x']).setting).toBe('id');
    expect(refusal(['--id', '1']).setting).toBe('dataDir');
  });

  it('refuses out-of-range and malformed numbers', () => {
    expect(refusal([...base, '--tick-ms', '0']).message).toMatch(/tickMs: 0 is below the minimum 1/);
    expect(refusal([...base, '--key-bytes-max', 'lots']).setting).toBe('keyBytesMax');
    expect(refusal([...base, '--id=0']).message).toMatch(/id: 0 is below the minimum 1/);
  });

  it('refuses settings that contradict each other', () => {
    expect(refusal([...base, '--heartbeat-ticks', '10', '--election-ticks', '10']).setting).toBe('heartbeatTicks');
    expect(refusal([...base, '--request-bytes-max', '1000', '--value-bytes-max', '5000']).setting).toBe('requestBytesMax');
    expect(refusal([...base, '--initial-cluster', '2=b/us/127.0.0.1:7102/127.0.0.1:7002']).setting).toBe('initialCluster');
    // The largest request must fit in one append message, or a valid write fails with its batch.
    expect(refusal([...base, '--message-bytes-max', String(1536 * 1024)]).setting).toBe('messageBytesMax');
  });

  it('takes the election spread (default: electionTicks, [T, 2T)) and refuses one outside 1..electionTicks', () => {
    expect(parseNodeConfig([...base, '--election-ticks', '75'], {}).electionSpreadTicks).toBe(75);
    expect(parseNodeConfig(base, {}).electionSpreadTicks).toBe(parseNodeConfig(base, {}).electionTicks);
    const narrow = parseNodeConfig([...base, '--election-ticks', '75', '--election-spread-ticks', '25'], {});
    expect({ election: narrow.electionTicks, spread: narrow.electionSpreadTicks }).toEqual({ election: 75, spread: 25 });
    expect(parseNodeConfig(base, { HOLDFAST_ELECTION_SPREAD_TICKS: '3' }).electionSpreadTicks).toBe(3);
    expect(refusal([...base, '--election-spread-ticks', '0']).message).toMatch(/electionSpreadTicks: 0 is below the minimum 1/);
    const wide = refusal([...base, '--election-ticks', '40', '--election-spread-ticks', '41']);
    expect(wide.setting).toBe('electionSpreadTicks');
    expect(wide.message).toMatch(/41 must be at most electionTicks 40/);
    expect(refusal([...base, '--election-spread-ticks', 'narrow']).setting).toBe('electionSpreadTicks');
  });

  it('takes ranked election slots (default off) and refuses a slot of electionTicks or more', () => {
    expect(parseNodeConfig(base, {}).electionRankSlotTicks).toBe(0);
    const ranked = parseNodeConfig([...base, '--tick-ms', '20', '--heartbeat-ticks', '5', '--election-ticks', '75', '--election-rank-slot-ticks', '8'], {});
    expect(ranked.electionRankSlotTicks).toBe(8);
    expect(electionTiming(ranked)).toMatch(/, ranked slots of 160 ms \(--election-rank-slot-ticks 8\)$/);
    expect(parseNodeConfig(base, { HOLDFAST_ELECTION_RANK_SLOT_TICKS: '3' }).electionRankSlotTicks).toBe(3);
    const wide = refusal([...base, '--election-ticks', '40', '--election-rank-slot-ticks', '40']);
    expect(wide.setting).toBe('electionRankSlotTicks');
    expect(wide.message).toMatch(/40 must be below electionTicks 40/);
    expect(refusal(base, { HOLDFAST_ELECTION_RANK_SLOT_TICKS: '-1' }).setting).toBe('electionRankSlotTicks');
  });

  it('shows the timing as a range in ms', () => {
    const config = parseNodeConfig([...base, '--tick-ms', '20', '--heartbeat-ticks', '5', '--election-ticks', '75', '--election-spread-ticks', '25'], {});
    expect(electionTiming(config)).toBe(
      'tick 20 ms, heartbeat 100 ms, election timeout [1500, 2000) ms (--election-ticks 75, --election-spread-ticks 25)',
    );
  });

  it('takes the read mode, the clock drift bound and the leader preference hold, and refuses a read mode it does not know', () => {
    const config = parseNodeConfig([...base, '--read-mode', 'lease', '--clock-drift-max-percent', '10', '--leader-preference-hold-ms', '500'], {});
    expect({ readMode: config.readMode, drift: config.clockDriftMaxPercent, hold: config.leaderPreferenceHoldMs }).toEqual({ readMode: 'lease', drift: 10, hold: 500 });
    expect(parseNodeConfig(base, {}).readMode).toBe('read-index');
    expect(refusal([...base, '--read-mode', 'local']).setting).toBe('readMode');
    expect(refusal([...base, '--clock-drift-max-percent', '31']).setting).toBe('clockDriftMaxPercent');
  });

  it('refuses bad addresses, member lists, failpoints and unknown flags', () => {
    expect(refusal([...base, '--client-listen', 'nowhere']).setting).toBe('clientListen');
    expect(refusal([...base, '--initial-cluster', '1=a/eu/127.0.0.1:7101']).setting).toBe('initialCluster');
    expect(refusal([...base, '--initial-cluster', '1=a//h:1/h:2,1=b//h:3/h:4']).message).toMatch(/appears twice/);
    expect(refusal([...base, '--failpoints', 'fsync-never']).setting).toBe('failpoints');
    // An apply version this release does not know is refused, not acted as.
    expect(refusal([...base, '--failpoints', 'apply-version-max=99']).message).toContain(`above the maximum ${APPLY_VERSION_LATEST}`);
    expect(refusal([...base, '--log-level', 'loud']).setting).toBe('logLevel');
    expect(refusal([...base, '--no-such-flag']).setting).toBe('flags');
  });

  it('refuses a join without members to reach', () => {
    expect(refusal([...base, '--join']).setting).toBe('initialCluster');
  });

  it('loads TLS files at start, refusing half an identity or a file that is not PEM, naming the setting', () => {
    const cert = tlsFixture('node.pem');
    const key = tlsFixture('node-key.pem');
    const ca = tlsFixture('ca.pem');
    expect(parseNodeConfig(base, {}).tls).toBeUndefined();
    const config = parseNodeConfig([...base, '--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-file', ca, '--tls-client-auth'], {});
    expect(config.tls?.clientAuth).toBe(true);
    expect(config.tls?.cert.toString()).toMatch(/BEGIN CERTIFICATE/);
    expect(refusal([...base, '--tls-cert-file', cert, '--tls-ca-file', ca]).setting).toBe('tlsKeyFile');
    expect(refusal([...base, '--tls-key-file', key, '--tls-ca-file', ca]).setting).toBe('tlsCertFile');
    expect(refusal([...base, '--tls-cert-file', cert, '--tls-key-file', key]).setting).toBe('tlsCaFile');
    expect(refusal([...base, '--tls-client-auth']).setting).toBe('tlsClientAuth');
    const missing = refusal([...base, '--tls-cert-file', '/nonexistent/node.pem', '--tls-key-file', key, '--tls-ca-file', ca]);
    expect(missing.setting).toBe('tlsCertFile');
    expect(missing.message).toMatch(/cannot read \/nonexistent\/node\.pem/);
    // A key where the certificate belongs, and the other way round.
    expect(refusal([...base, '--tls-cert-file', key, '--tls-key-file', key, '--tls-ca-file', ca]).message).toMatch(/no PEM certificate/);
    expect(refusal([...base, '--tls-cert-file', cert, '--tls-key-file', cert, '--tls-ca-file', ca]).message).toMatch(/no PEM private key/);
  });
});
