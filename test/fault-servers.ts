import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './net.ts';

/**
 * Private servers for the fault tests: a PostgreSQL cluster and a Mosquitto broker of the test's
 * own, in a temp directory on a free port, so a test can restart or kill them without touching the
 * machine's shared servers (other test files use those in parallel).
 */

const run = promisify(execFile);

export const PG_BIN = process.env.GRIDCAST_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const MOSQUITTO = process.env.GRIDCAST_MOSQUITTO ?? (existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : 'mosquitto');

const isRoot = () => process.getuid?.() === 0;
const userExists = (name: string) => spawnSync('id', ['-u', name]).status === 0;
const idOf = (flag: '-u' | '-g', name: string) => Number(spawnSync('id', [flag, name]).stdout.toString());
const onPath = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Why the PostgreSQL fault tests cannot run here (null: they can). */
export function pgFaultSkipReason(): string | null {
  if (!process.env.TEST_DATABASE_URL) return 'TEST_DATABASE_URL is unset: the PostgreSQL fault tests run where PostgreSQL is installed (CI)';
  for (const b of ['initdb', 'pg_ctl', 'postgres']) if (!existsSync(join(PG_BIN, b))) return `no ${b} in ${PG_BIN} (set GRIDCAST_PG_BIN)`;
  // PostgreSQL refuses to run as root: it runs as the postgres user, through runuser.
  if (isRoot() && (!userExists('postgres') || !onPath('runuser'))) return 'running as root without a postgres user and runuser to start PostgreSQL as';
  return null;
}

/** Why the broker fault tests cannot run here (null: they can). */
export function mosquittoSkipReason(): string | null {
  return existsSync(MOSQUITTO) || onPath(MOSQUITTO) ? null : 'no mosquitto binary (set GRIDCAST_MOSQUITTO)';
}

export interface PrivatePg {
  url: string;
  port: number;
  /** pg_ctl restart -m `mode`: waits until the server accepts connections again. */
  restart(mode: 'fast' | 'immediate'): Promise<void>;
  stop(mode: 'fast' | 'immediate'): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/** A new PostgreSQL cluster (trust auth, fsync off: only the server is killed, never the machine) on a free port. */
export async function startPrivatePg(): Promise<PrivatePg> {
  const dir = mkdtempSync(join(tmpdir(), 'gridcast-pgfault-'));
  const data = join(dir, 'data');
  const asPg = (bin: string, args: string[]) => (isRoot() ? run('runuser', ['-u', 'postgres', '--', join(PG_BIN, bin), ...args]) : run(join(PG_BIN, bin), args));
  if (isRoot()) chownSync(dir, idOf('-u', 'postgres'), idOf('-g', 'postgres'));
  await asPg('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  const port = await freePort();
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c shared_buffers=64MB -c max_connections=40`;
  const log = join(dir, 'server.log');
  const ctl = (args: string[]) => asPg('pg_ctl', ['-D', data, '-l', log, '-w', '-t', '60', ...args]);
  await ctl(['-o', opts, 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    restart: async (mode) => void (await ctl(['-m', mode, 'restart'])),
    stop: async (mode) => void (await ctl(['-m', mode, 'stop'])),
    start: async () => void (await ctl(['-o', opts, 'start'])),
    async destroy() {
      await ctl(['-m', 'immediate', 'stop']).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateBroker {
  url: string;
  /** SIGTERM (mosquitto saves its persistence file) and start again on the same port. */
  restart(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * A Mosquitto broker with persistence (sessions and queued QoS 1 messages survive its restart,
 * as a production broker must be configured) on a free port.
 */
export async function startPrivateBroker(): Promise<PrivateBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'gridcast-mqfault-'));
  // Started as root, mosquitto drops to its own user, which must be able to write the persistence file.
  if (isRoot() && userExists('mosquitto')) chownSync(dir, idOf('-u', 'mosquitto'), idOf('-g', 'mosquitto'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  // As the README asks of a production broker: sessions and their messages saved across a restart,
  // and no cap on what is queued for a client while it is away (the default, 1000, drops the rest).
  const settings = ['persistence true', `persistence_location ${dir}/`, 'max_queued_messages 0'];
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', ...settings, 'log_dest none', ''].join('\n'));
  let child: ChildProcess | null = null;
  const launch = async () => {
    child = spawn(MOSQUITTO, ['-c', conf], { stdio: 'ignore' });
    // Listening once a TCP connection is accepted.
    for (const end = Date.now() + 10_000; ; await new Promise((r) => setTimeout(r, 50))) {
      if (child.exitCode !== null) throw new Error(`mosquitto exited with ${child.exitCode}`);
      if (await canConnect(port)) return;
      if (Date.now() > end) throw new Error('mosquitto did not start listening');
    }
  };
  const terminate = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };
  await launch();
  return {
    url: `mqtt://127.0.0.1:${port}`,
    async restart() {
      await terminate();
      await launch();
    },
    async destroy() {
      await terminate();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function canConnect(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
