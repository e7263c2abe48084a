/**
 * A real, throw-away Redis Cluster for the tests: three masters (no replicas), each a redis-server with
 * `--cluster-enabled yes` on its own free port and cluster-bus port on 127.0.0.1, its node file in a
 * temporary directory, joined by `redis-cli --cluster create … --cluster-yes`. Stopped at the end, its
 * directory removed. Needs redis-server and redis-cli (Debian: redis-server, which brings redis-tools).
 */

import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, redisServerPath, waitForPing } from './redis-server.js';

const run = promisify(execFile);

export interface RedisCluster {
  /** The masters' ports; any of them is a seed for a cluster client. */
  readonly ports: readonly number[];
  stop(): Promise<void>;
}

export async function startRedisCluster(): Promise<RedisCluster> {
  if (redisServerPath === undefined) throw new Error('redis-server is not installed (apt-get install redis-server)');
  const binary = redisServerPath;
  const cli = join(dirname(binary), 'redis-cli');
  const dir = await mkdtemp(join(tmpdir(), 'wsgate-redis-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }),
    );
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const [port, bus] = [await freePort(), await freePort()];
      ports.push(port);
      const args = [
        ...['--port', String(port), '--cluster-port', String(bus), '--bind', '127.0.0.1'],
        ...['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`)],
        ...[
          '--cluster-node-timeout',
          '5000',
          '--save',
          '',
          '--appendonly',
          'no',
          '--dir',
          dir,
          '--loglevel',
          'warning',
        ],
      ];
      children.push(spawn(binary, args, { stdio: 'ignore' }));
    }
    await Promise.all(ports.map((port) => waitForPing(port, 10_000)));
    const nodes = ports.map((port) => `127.0.0.1:${port}`);
    await run(cli, ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 });
    // Every node must see every slot served before a client may rely on it.
    for (const port of ports) {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const { stdout } = await run(cli, ['-p', String(port), 'CLUSTER', 'INFO']);
        if (stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`redis cluster node ${port} never reached cluster_state:ok`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { ports, stop };
}
