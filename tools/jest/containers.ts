/**
 * The testcontainers path of the integration setup, taken where a Docker engine answers: the same stack as
 * tools/devstack and docker-compose.yml (Kafka KRaft, Apicurio Registry on PostgreSQL storage, PostgreSQL, sshd), plus
 * the SMTP sink, which needs no container: it runs as a child process on free ports, storing into a temporary directory.
 * Returns `export VAR=value` lines in the format of `tools/devstack/devstack env`.
 */
import { mkdtempSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { GenericContainer, Network, Wait, type StartedTestContainer } from 'testcontainers';
import { KafkaContainer } from '@testcontainers/kafka';
import { PostgreSqlContainer } from '@testcontainers/postgresql';

const started: StartedTestContainer[] = [];
let smtpSink: ChildProcess | undefined;

const schemas = [
  'ingest',
  'orchestrator',
  'messaging',
  'miniapp',
  'writeback_rest',
  'writeback_soap',
  'writeback_sftp',
  'reconciler',
  'audit',
];

const repoRoot = join(__dirname, '..', '..');

/**
 * tools/simulators/smtp-sink as a process (its TypeScript through @swc-node/register, which knows the path aliases the
 * global setup's own resolver does not), on free ports read back from its banner line.
 */
function startSmtpSink(dataDir: string): Promise<{ host: string; smtpPort: string; apiUrl: string }> {
  const child = spawn(
    join(repoRoot, 'node_modules', '.bin', 'node'),
    [
      ...['-r', '@swc-node/register', join(repoRoot, 'tools/simulators/smtp-sink/main.ts')],
      ...['--smtp-port', '0', '--api-port', '0', '--data-dir', dataDir],
    ],
    { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  smtpSink = child;
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      if (out.length > 64 * 1024) return;
      out += chunk.toString('utf8');
      const banner = /SMTP on (\S+):(\d+)(?: \(AUTH required\))?, read API on (\S+),/.exec(out);
      if (banner) resolve({ host: banner[1]!, smtpPort: banner[2]!, apiUrl: banner[3]! });
    });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`smtp-sink exited (${code}) before it listened`)));
  });
}

export async function startContainers(): Promise<string> {
  const network = await new Network().start();
  const postgres = await new PostgreSqlContainer('postgres:15')
    .withNetwork(network)
    .withNetworkAliases('postgres')
    .withDatabase('closeout')
    .withUsername('postgres')
    .withPassword('postgres')
    .start();
  started.push(postgres);
  await postgres.exec([
    'psql',
    '-U',
    'postgres',
    '-d',
    'closeout',
    '-c',
    schemas.map((s) => `CREATE SCHEMA IF NOT EXISTS ${s};`).join(' '),
  ]);
  await postgres.exec(['psql', '-U', 'postgres', '-c', 'CREATE DATABASE apicurio;']);

  const kafka = await new KafkaContainer('apache/kafka:3.9.1').withKraft().withNetwork(network).start();
  started.push(kafka);

  const registry = await new GenericContainer('apicurio/apicurio-registry:3.0.9')
    .withNetwork(network)
    .withEnvironment({
      APICURIO_STORAGE_KIND: 'sql',
      APICURIO_STORAGE_SQL_KIND: 'postgresql',
      APICURIO_DATASOURCE_URL: 'jdbc:postgresql://postgres:5432/apicurio',
      APICURIO_DATASOURCE_USERNAME: 'postgres',
      APICURIO_DATASOURCE_PASSWORD: 'postgres',
    })
    .withExposedPorts(8080)
    .withWaitStrategy(Wait.forHttp('/health/ready', 8080))
    .start();
  started.push(registry);
  const registryUrl = `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`;
  await fetch(`${registryUrl}/config`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
    body: JSON.stringify({ compatibility: 'BACKWARD' }),
  });

  const keyDir = mkdtempSync(join(tmpdir(), 'closeout-sftp-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keyDir, 'client')]);
  const sftpRoot = join(keyDir, 'root');
  mkdirSync(join(sftpRoot, 'inbound'), { recursive: true });
  mkdirSync(join(sftpRoot, 'outbound'), { recursive: true });
  chmodSync(sftpRoot, 0o777);
  const sftp = await new GenericContainer('atmoz/sftp:alpine')
    .withCommand(['closeout-sftp::1001'])
    .withBindMounts([
      { source: join(keyDir, 'client.pub'), target: '/home/closeout-sftp/.ssh/keys/client.pub', mode: 'ro' },
      { source: sftpRoot, target: '/home/closeout-sftp/data', mode: 'rw' },
    ])
    .withExposedPorts(22)
    .withWaitStrategy(Wait.forListeningPorts())
    .start();
  started.push(sftp);
  const hostKey = await sftp.exec(['cat', '/etc/ssh/ssh_host_ed25519_key.pub']);
  writeFileSync(join(keyDir, 'host.pub'), hostKey.output);

  const smtpDataDir = join(mkdtempSync(join(tmpdir(), 'closeout-smtp-')), 'messages');
  const smtp = await startSmtpSink(smtpDataDir);

  const pgUrl = `postgres://postgres:postgres@${postgres.getHost()}:${postgres.getPort()}/closeout`;
  return [
    `export KAFKA_BROKERS=${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
    `export SCHEMA_REGISTRY_URL=${registryUrl}`,
    `export DATABASE_URL=${pgUrl}`,
    `export SFTP_HOST=${sftp.getHost()}`,
    `export SFTP_PORT=${sftp.getMappedPort(22)}`,
    `export SFTP_USERNAME=closeout-sftp`,
    `export SFTP_PRIVATE_KEY_PATH=${join(keyDir, 'client')}`,
    `export SFTP_HOST_PUBLIC_KEY_PATH=${join(keyDir, 'host.pub')}`,
    `export SFTP_ROOT=${sftpRoot}`,
    `export SFTP_REMOTE_ROOT=/data`,
    `export SMTP_HOST=${smtp.host}`,
    `export SMTP_PORT=${smtp.smtpPort}`,
    `export SMTP_SINK_URL=${smtp.apiUrl}`,
    `export SMTP_SINK_DATA_DIR=${smtpDataDir}`,
  ].join('\n');
}

export async function stopContainers(): Promise<void> {
  const sink = smtpSink;
  smtpSink = undefined;
  const sinkExited =
    sink && sink.exitCode === null
      ? new Promise<void>((resolve) => sink.once('exit', () => resolve()))
      : undefined;
  sink?.kill('SIGTERM');
  await Promise.all([...started.splice(0).map((c) => c.stop()), sinkExited]);
}
