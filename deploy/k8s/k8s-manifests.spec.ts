import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { baseEnvSchema, kafkaSecurityEnv, resolveKafkaSecurity, z } from '@closeout/config';
import { configSchema as consoleConfigSchema } from '../../apps/ops-console/src/config';
import {
  platformServices,
  services as closeoutServices,
  type PlatformServiceName,
  type ServiceName,
} from '../service-catalog';

// What an operator relies on in deploy/k8s: every service is deployable on its own, probed on the right
// paths, bounded in resources, non-root on a read-only filesystem, given time to drain its Kafka
// consumers, reachable through a Service, scraped by Prometheus, and configured with every variable it reads (secrets
// by reference only). The ops console is deployed the same way, without Kafka or a database. Checked on the files
// themselves, so no cluster or kustomize binary is needed.

const k8sDir = __dirname;
const services: readonly ServiceName[] = closeoutServices.map((s) => s.name);
/** The nine services on Kafka with a database of their own (all but the ops console). */
const kafkaServices: readonly PlatformServiceName[] = platformServices.map((s) => s.name);
const isKafkaService = (s: ServiceName): s is PlatformServiceName =>
  (kafkaServices as readonly string[]).includes(s);
/** HTTP only: no Kafka consumer, so its replicas are not bounded by partitions. */
const notKafkaConsumers: readonly ServiceName[] = ['mini-app-backend'];
const sftpVariables = [
  'SFTP_HOST',
  'SFTP_PORT',
  'SFTP_USERNAME',
  'SFTP_PRIVATE_KEY_PATH',
  'SFTP_HOST_PUBLIC_KEY_PATH',
];
/** What each writeback service reads besides its destinations (libs/writeback/core writeback-service.config.ts). */
const writebackVariables = ['WRITEBACK_REQUEST_PUBLIC_KEYS', 'WRITEBACK_UNSERVED_REQUESTS'];
const writebackServices: readonly ServiceName[] = ['writeback-rest', 'writeback-soap', 'writeback-sftp'];
/** The orchestrator's writeback request signing key (apps/orchestrator/src/config.ts): the orchestrator's alone. */
const signingVariables = ['WRITEBACK_REQUEST_SIGNING_KEY_FILE', 'WRITEBACK_REQUEST_SIGNING_KEY_ID'];
const extraVariables: Partial<Record<ServiceName, { plain?: string[]; secret?: string[] }>> = {
  'trigger-ingest': { secret: ['INGEST_API_TOKENS'] },
  orchestrator: {
    plain: ['WORKFLOW_DEFINITIONS_DIR', 'WORKFLOW_GOLDEN_PAYLOADS_DIR', ...signingVariables],
    secret: ['ORCHESTRATOR_API_TOKENS'],
  },
  'writeback-rest': { plain: writebackVariables, secret: ['WRITEBACK_REST_DESTINATIONS'] },
  'writeback-soap': { plain: writebackVariables, secret: ['WRITEBACK_SOAP_DESTINATIONS'] },
  'writeback-sftp': {
    plain: [...sftpVariables, ...writebackVariables],
    secret: ['WRITEBACK_SFTP_DESTINATIONS'],
  },
  reconciler: { secret: ['RECONCILER_API_TOKENS'] },
  messaging: { secret: ['MESSAGING_INTERNAL_API_TOKENS'] },
  'audit-exporter': {
    plain: ['AUDIT_SIGNING_KEY_FILE', 'AUDIT_SIGNING_KEY_ID'],
    secret: ['AUDIT_API_TOKENS'],
  },
  'mini-app-backend': {
    plain: ['MINIAPP_PUBLIC_BASE_URL', 'ORCHESTRATOR_URL', 'MESSAGING_INTERNAL_URL'],
    secret: ['MINIAPP_ORCHESTRATOR_TOKEN', 'MINIAPP_MESSAGING_TOKEN', 'MINIAPP_OTP_KEY'],
  },
  'ops-console': {
    plain: ['ORCHESTRATOR_URL', 'RECONCILER_URL', 'AUDIT_URL', 'PROMETHEUS_URL', 'ALERTMANAGER_URL'],
    secret: consoleSecrets(),
  },
};
/** The console's credentials: its operators' hashes and its tokens at the orchestrator, reconciler and audit store. */
function consoleSecrets(): string[] {
  return [
    'CONSOLE_OPERATORS',
    'CONSOLE_ORCHESTRATOR_TOKEN',
    'CONSOLE_RECONCILER_TOKEN',
    'CONSOLE_AUDIT_TOKEN',
  ];
}
/** Variables that carry credentials: only ever read from a Secret. */
const secretVariables = [
  'DATABASE_URL',
  'INGEST_API_TOKENS',
  'ORCHESTRATOR_API_TOKENS',
  'RECONCILER_API_TOKENS',
  'MESSAGING_INTERNAL_API_TOKENS',
  'MINIAPP_ORCHESTRATOR_TOKEN',
  'MINIAPP_MESSAGING_TOKEN',
  'MINIAPP_OTP_KEY',
  'CARD_PROCESSOR_API_KEY',
  'MINIAPP_PROCESSOR_STATE_KEY',
  'KAFKA_SASL_PASSWORD',
  'WRITEBACK_REST_DESTINATIONS',
  'WRITEBACK_SOAP_DESTINATIONS',
  'WRITEBACK_SFTP_DESTINATIONS',
  ...consoleSecrets(),
];

// ---- a minimal model of the manifests -------------------------------------------------------------

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [key: string]: unknown;
}
interface Probe {
  httpGet?: { path: string; port: number | string };
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    secretKeyRef?: { name: string; key: string };
    configMapKeyRef?: { name: string; key: string };
  };
}
interface Container {
  name: string;
  image: string;
  ports?: { name?: string; containerPort: number }[];
  env?: EnvVar[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    privileged?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
  };
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe & { periodSeconds?: number; failureThreshold?: number };
  lifecycle?: { preStop?: { exec?: { command: string[] }; sleep?: { seconds: number } } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface PodSpec {
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  volumes?: {
    name: string;
    secret?: { secretName: string; items?: { key: string; path: string }[] };
    configMap?: { name: string; items?: { key: string; path: string }[] };
  }[];
}
interface Deployment extends Manifest {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: PodSpec;
    };
  };
}

interface Kustomization {
  resources?: string[];
  patches?: { path?: string; patch?: string; target?: { kind?: string; name?: string } }[];
  images?: { name: string; newTag?: string; newName?: string }[];
}

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFilesUnder(join(dir, e.name)) : /\.ya?ml$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

function parseFile(file: string): unknown[] {
  const docs = parseAllDocuments(readFileSync(file, 'utf8'));
  return docs.map((doc) => {
    if (doc.errors.length > 0)
      throw new Error(`${relative(k8sDir, file)}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return doc.toJS() as unknown;
  });
}

const kustomizationFile = (dir: string): string => join(dir, 'kustomization.yaml');
const readKustomization = (dir: string): Kustomization =>
  parseFile(kustomizationFile(dir))[0] as Kustomization;

/** The manifests a kustomization deploys (its resources, recursively), before patches. */
function manifestsOf(dir: string): Manifest[] {
  return (readKustomization(dir).resources ?? []).flatMap((entry) => {
    const target = resolve(dir, entry);
    // a missing entry is reported by the kustomization check below, by name
    if (!existsSync(target)) return [];
    return statSync(target).isDirectory() ? manifestsOf(target) : (parseFile(target) as Manifest[]);
  });
}

const allYaml = yamlFilesUnder(k8sDir);
const kustomizationDirs = allYaml.filter((f) => f.endsWith('/kustomization.yaml')).map(dirname);
const baseDir = join(k8sDir, 'base');
const base = manifestsOf(baseDir);

function find<T extends Manifest>(manifests: Manifest[], kind: string, name: string): T | undefined {
  return manifests.find((m) => m.kind === kind && m.metadata.name === name) as T | undefined;
}
function deploymentOf(service: ServiceName): Deployment {
  const d = find<Deployment>(base, 'Deployment', service);
  if (!d) throw new Error(`no Deployment ${service} in deploy/k8s/base`);
  return d;
}
const containerOf = (service: ServiceName): Container =>
  deploymentOf(service).spec.template.spec.containers[0]!;

interface EnvSource {
  from: 'literal' | 'configmap' | 'secret';
  value?: string;
  /** The Secret a secretKeyRef names. */
  secret?: string;
}

/** Every variable the container gets and where it comes from: a literal, a ConfigMap or a Secret. */
function environmentOf(
  service: ServiceName,
  manifests: Manifest[] = base,
  container: Container = containerOf(service),
): Map<string, EnvSource> {
  const env = new Map<string, EnvSource>();
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) {
      const cm = find(manifests, 'ConfigMap', source.configMapRef.name);
      if (!cm)
        throw new Error(
          `${service}: envFrom names ConfigMap ${source.configMapRef.name}, which base does not define`,
        );
      for (const [k, v] of Object.entries(cm.data ?? {})) env.set(k, { from: 'configmap', value: v });
    }
    if (source.secretRef)
      throw new Error(`${service}: envFrom a whole Secret hides which keys it must hold; use secretKeyRef`);
  }
  for (const v of container.env ?? []) {
    if (v.valueFrom?.secretKeyRef) env.set(v.name, { from: 'secret', secret: v.valueFrom.secretKeyRef.name });
    else if (v.valueFrom?.configMapKeyRef) env.set(v.name, { from: 'configmap' });
    else env.set(v.name, { from: 'literal', ...(v.value === undefined ? {} : { value: v.value }) });
  }
  return env;
}

/** The read-only volume a file path lies in: the mount, its volume and the file's path inside it. */
function mountedFile(
  pod: PodSpec,
  container: Container,
  path: string,
): { readOnly: boolean; volume?: NonNullable<PodSpec['volumes']>[number]; file: string } | undefined {
  const mount = container.volumeMounts?.find(
    (m) => path.startsWith(`${m.mountPath}/`) || path === m.mountPath,
  );
  if (!mount) return undefined;
  return {
    readOnly: mount.readOnly === true,
    volume: (pod.volumes ?? []).find((v) => v.name === mount.name),
    file: path.slice(mount.mountPath.length + 1),
  };
}

/**
 * Where a service's Kafka settings break the code's own rules (libs/config kafka-security.ts: a SASL protocol needs a
 * mechanism, a user and one password source; a setting that does not apply to the protocol is refused). Files are not
 * there to read here, so "cannot read file" is not a finding; everything else would stop the service at boot.
 */
function kafkaProblems(env: Map<string, EnvSource>): string[] {
  const raw: Record<string, string> = {};
  for (const name of Object.keys(kafkaSecurityEnv)) {
    const v = env.get(name);
    // a value from a Secret is unknown here; any non-empty text stands in for it
    if (v) raw[name] = v.value ?? (v.from === 'literal' ? '' : 'from-a-secret');
  }
  const parsed = z.object(kafkaSecurityEnv).safeParse(raw);
  if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  return resolveKafkaSecurity(parsed.data)
    .issues.filter((i) => !i.rule.startsWith('cannot read file'))
    .map((i) => `${i.variable}: ${i.rule}`);
}

/**
 * The dev overlay's objects: base with the overlay's strategic-merge patch files applied, as far as they go (ConfigMap
 * data, `null` deleting a key; a Deployment's env, volumeMounts and volumes, `$patch: delete` removing an entry). A
 * patch using anything else fails here rather than being misread.
 */
function devManifests(): Manifest[] {
  const devDir = join(k8sDir, 'overlays', 'dev');
  const manifests = structuredClone(base);
  type Entry = Record<string, unknown> & { $patch?: string };
  const mergeList = <T extends Entry>(
    list: T[] | undefined,
    patch: Entry[] | undefined,
    key: string,
  ): T[] => {
    let out = [...(list ?? [])];
    for (const p of patch ?? []) {
      const i = out.findIndex((e) => e[key] === p[key]);
      if (p.$patch === 'delete') out = out.filter((_, j) => j !== i);
      else if (i >= 0) out[i] = { ...out[i]!, ...p } as T;
      else out.push(p as T);
    }
    return out;
  };
  for (const patch of readKustomization(devDir).patches ?? []) {
    if (patch.path === undefined) continue; // inline JSON patches: replica counts and requests
    for (const doc of parseFile(resolve(devDir, patch.path)) as Manifest[]) {
      const target = find(manifests, doc.kind, doc.metadata.name);
      if (!target) throw new Error(`${patch.path}: ${doc.kind} ${doc.metadata.name} is not in base`);
      if (doc.kind === 'ConfigMap') {
        const data = { ...(target.data ?? {}) };
        for (const [k, v] of Object.entries(doc.data ?? {})) {
          if (v === null) delete data[k];
          else data[k] = v;
        }
        target.data = data;
      } else if (doc.kind === 'Deployment') {
        const podPatch = (doc as Deployment).spec.template.spec as unknown as {
          containers?: (Entry & { env?: Entry[]; volumeMounts?: Entry[] })[];
          volumes?: Entry[];
          [k: string]: unknown;
        };
        const extra = Object.keys(podPatch).filter((k) => k !== 'containers' && k !== 'volumes');
        if (extra.length > 0)
          throw new Error(`${patch.path}: this check does not apply pod fields ${extra.join(', ')}`);
        const pod = (target as Deployment).spec.template.spec;
        for (const cp of podPatch.containers ?? []) {
          const c = pod.containers.find((x) => x.name === cp.name);
          if (!c) throw new Error(`${patch.path}: no container ${String(cp.name)} in ${doc.metadata.name}`);
          c.env = mergeList(c.env as unknown as Entry[], cp.env, 'name') as unknown as EnvVar[];
          c.volumeMounts = mergeList(
            c.volumeMounts as unknown as Entry[],
            cp.volumeMounts,
            'mountPath',
          ) as unknown as Container['volumeMounts'];
        }
        pod.volumes = mergeList(
          pod.volumes as unknown as Entry[],
          podPatch.volumes,
          'name',
        ) as unknown as PodSpec['volumes'];
      } else {
        throw new Error(`${patch.path}: this check does not apply ${doc.kind} patches`);
      }
    }
  }
  return manifests;
}

/** The variables every service's config requires (no default, not optional), from the config lib itself. */
const requiredBaseVariables = Object.entries(baseEnvSchema.shape)
  .filter(([, schema]) => !schema.safeParse(undefined).success)
  .map(([name]) => name);

// ---- the checks ---------------------------------------------------------------------------------

describe('deploy/k8s manifests', () => {
  it('parse as YAML, and no Secret with values is committed', () => {
    expect(allYaml.length).toBeGreaterThan(0);
    for (const file of allYaml) {
      for (const doc of parseFile(file)) expect((doc as Manifest | null)?.kind).not.toBe('Secret');
    }
  });

  it('every kustomization lists only resources and patches that exist on disk', () => {
    expect(kustomizationDirs.map((d) => relative(k8sDir, d)).sort()).toEqual(
      expect.arrayContaining(['base', 'overlays/dev', 'base/platform', ...services.map((s) => `base/${s}`)]),
    );
    for (const dir of kustomizationDirs) {
      const k = readKustomization(dir);
      for (const entry of k.resources ?? []) {
        const target = resolve(dir, entry);
        const where = `${relative(k8sDir, dir)}/kustomization.yaml → ${entry}`;
        expect({ where, exists: existsSync(target) }).toEqual({ where, exists: true });
        if (existsSync(target) && statSync(target).isDirectory()) {
          expect({ where, hasKustomization: existsSync(kustomizationFile(target)) }).toEqual({
            where,
            hasKustomization: true,
          });
        }
      }
      for (const patch of k.patches ?? []) {
        if (patch.path !== undefined) expect(existsSync(resolve(dir, patch.path))).toBe(true);
        else expect(patch.patch).toEqual(expect.any(String));
      }
    }
  });

  it('every manifest under base/ is deployed by some kustomization (none is silently left out)', () => {
    const listed = new Set(
      kustomizationDirs.flatMap((dir) =>
        (readKustomization(dir).resources ?? []).map((r) => resolve(dir, r)),
      ),
    );
    const manifests = allYaml.filter(
      (f) => f.startsWith(`${baseDir}/`) && !f.endsWith('/kustomization.yaml'),
    );
    expect(manifests.filter((f) => !listed.has(f)).map((f) => relative(k8sDir, f))).toEqual([]);
  });

  it('base deploys exactly the nine services and the ops console, one Deployment each', () => {
    const deployments = base.filter((m) => m.kind === 'Deployment').map((m) => m.metadata.name);
    expect(deployments.sort()).toEqual([...services].sort());
  });

  it('each service is its own kustomization, deployable without the others', () => {
    for (const service of services) {
      const own = manifestsOf(join(baseDir, service));
      const kinds = own.map((m) => m.kind);
      expect({ service, kinds: kinds.sort() }).toEqual({
        service,
        kinds: expect.arrayContaining(['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Service']),
      });
      expect(own.filter((m) => m.kind === 'Deployment').map((m) => m.metadata.name)).toEqual([service]);
    }
  });

  describe.each(services)('%s', (service) => {
    const deployment = deploymentOf(service);
    const pod = deployment.spec.template.spec;
    const container = containerOf(service);
    const httpPort = container.ports?.find((p) => p.name === 'http');

    it('listens on HTTP_PORT=3000, the port the probes and the Service use', () => {
      expect(pod.containers).toHaveLength(1);
      expect(httpPort?.containerPort).toBe(3000);
      expect(environmentOf(service).get('HTTP_PORT')).toEqual({ from: 'literal', value: '3000' });
    });

    it('is probed for liveness on /health/live and readiness on /health/ready', () => {
      const portOk = (p: number | string | undefined): boolean => p === 'http' || p === 3000;
      expect(container.livenessProbe?.httpGet?.path).toBe('/health/live');
      expect(portOk(container.livenessProbe?.httpGet?.port)).toBe(true);
      expect(container.readinessProbe?.httpGet?.path).toBe('/health/ready');
      expect(portOk(container.readinessProbe?.httpGet?.port)).toBe(true);
      // liveness must not depend on Kafka or PostgreSQL: an outage there would restart every pod
      expect(container.livenessProbe?.httpGet?.path).not.toBe(container.readinessProbe?.httpGet?.path);
      if (container.startupProbe) expect(container.startupProbe.httpGet?.path).toBe('/health/live');
    });

    it('has CPU and memory requests and limits', () => {
      for (const kind of ['requests', 'limits'] as const) {
        expect(container.resources?.[kind]).toEqual(
          expect.objectContaining({ cpu: expect.any(String), memory: expect.any(String) }),
        );
      }
    });

    it('runs as a numeric non-root user on a read-only root filesystem with no capabilities', () => {
      const nonRoot = container.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
      const uid = container.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
      expect(nonRoot).toBe(true);
      // the image names its user ("node"); the kubelet can only verify non-root against a number
      expect(uid).toEqual(expect.any(Number));
      expect(uid).not.toBe(0);
      expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
      expect(container.securityContext?.allowPrivilegeEscalation).toBe(false);
      expect(container.securityContext?.capabilities?.drop).toContain('ALL');
      expect(container.securityContext?.capabilities?.add ?? []).toEqual([]);
      expect(container.securityContext?.privileged ?? false).toBe(false);
    });

    it('gives Kafka consumers at least 30 s to drain, more than the service waits for itself', () => {
      const grace = pod.terminationGracePeriodSeconds ?? 30;
      expect(grace).toBeGreaterThanOrEqual(30);
      const preStop = container.lifecycle?.preStop;
      const preStopSeconds =
        preStop?.sleep?.seconds ??
        (preStop?.exec?.command[0] === 'sleep' ? Number(preStop.exec.command[1]) : 0);
      const shutdownMs = Number(environmentOf(service).get('SHUTDOWN_TIMEOUT_MS')?.value ?? 10_000);
      expect(preStopSeconds + shutdownMs / 1000).toBeLessThan(grace);
    });

    it('is scraped by Prometheus on /metrics', () => {
      const a = deployment.spec.template.metadata.annotations ?? {};
      expect(a['prometheus.io/scrape']).toBe('true');
      expect(a['prometheus.io/path']).toBe('/metrics');
      expect(a['prometheus.io/port']).toBe(String(httpPort?.containerPort));
    });

    it('selects its own pods and nothing else', () => {
      const selector = deployment.spec.selector.matchLabels;
      expect(selector).toEqual({ 'app.kubernetes.io/name': service });
      expect(deployment.spec.template.metadata.labels).toEqual(expect.objectContaining(selector));
    });

    it('has a Service that reaches the pods on the http port', () => {
      const svc = find<
        Manifest & { spec: { selector: Record<string, string>; ports: { targetPort: number | string }[] } }
      >(base, 'Service', service);
      expect(svc).toBeDefined();
      expect(svc!.spec.selector).toEqual(deployment.spec.selector.matchLabels);
      for (const p of svc!.spec.ports)
        expect([httpPort?.name, httpPort?.containerPort]).toContain(p.targetPort);
    });

    it('has a PodDisruptionBudget that still lets a node drain', () => {
      const pdb = find<
        Manifest & {
          spec: {
            selector: { matchLabels: Record<string, string> };
            maxUnavailable?: number;
            minAvailable?: number;
          };
        }
      >(base, 'PodDisruptionBudget', service);
      expect(pdb).toBeDefined();
      expect(pdb!.spec.selector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
      // minAvailable equal to the replica count would block every drain
      expect(pdb!.spec.maxUnavailable ?? 0).toBeGreaterThanOrEqual(1);
    });

    it('scales within its Kafka partitions, or has a fixed replica count', () => {
      const hpa = find<
        Manifest & {
          spec: { scaleTargetRef: { kind: string; name: string }; minReplicas: number; maxReplicas: number };
        }
      >(base, 'HorizontalPodAutoscaler', service);
      if (hpa === undefined) {
        expect(deployment.spec.replicas).toEqual(expect.any(Number));
        return;
      }
      // kubectl apply would reset the autoscaler's count on every deploy
      expect(deployment.spec.replicas).toBeUndefined();
      expect(hpa.spec.scaleTargetRef).toEqual(expect.objectContaining({ kind: 'Deployment', name: service }));
      expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
      const partitions = Number(environmentOf(service).get('KAFKA_DEFAULT_PARTITIONS')?.value);
      if (!notKafkaConsumers.includes(service)) expect(hpa.spec.maxReplicas).toBeLessThanOrEqual(partitions);
    });

    it('gets every variable it reads, credentials only from a Secret', () => {
      const env = environmentOf(service);
      const extra = extraVariables[service] ?? {};
      const shared = ['SERVICE_NAME', 'HTTP_PORT', 'LOG_LEVEL', 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
      const platform = isKafkaService(service)
        ? [
            ...requiredBaseVariables,
            'KAFKA_BROKERS',
            'SCHEMA_REGISTRY_URL',
            'DATABASE_URL',
            'KAFKA_DEFAULT_PARTITIONS',
            'SHUTDOWN_TIMEOUT_MS',
            'OUTBOX_RETENTION_MS',
          ]
        : [];
      const expected = [
        ...new Set([...shared, ...platform, ...(extra.plain ?? []), ...(extra.secret ?? [])]),
      ];
      expect(expected.filter((name) => !env.has(name))).toEqual([]);
      expect(env.get('SERVICE_NAME')?.value).toBe(service);
      for (const name of [...secretVariables, ...(extra.secret ?? [])]) {
        if (env.has(name)) expect({ name, from: env.get(name)!.from }).toEqual({ name, from: 'secret' });
      }
    });
  });

  it('mounts the SFTP keys read-only where SFTP_*_PATH point, from a Secret', () => {
    const env = environmentOf('writeback-sftp');
    const container = containerOf('writeback-sftp');
    const volumes = deploymentOf('writeback-sftp').spec.template.spec.volumes ?? [];
    for (const name of ['SFTP_PRIVATE_KEY_PATH', 'SFTP_HOST_PUBLIC_KEY_PATH']) {
      const path = env.get(name)?.value ?? '';
      const mount = container.volumeMounts?.find((m) => path.startsWith(`${m.mountPath}/`));
      expect({ name, mounted: mount?.readOnly }).toEqual({ name, mounted: true });
      const volume = volumes.find((v) => v.name === mount!.name);
      expect(volume?.secret?.secretName).toEqual(expect.any(String));
      const file = path.slice(mount!.mountPath.length + 1);
      expect(volume!.secret!.items?.map((i) => i.path) ?? [file]).toContain(file);
    }
  });

  it('only the orchestrator holds the writeback request signing key, mounted read-only from a Secret', () => {
    const pod = deploymentOf('orchestrator').spec.template.spec;
    const env = environmentOf('orchestrator');
    const path = env.get('WRITEBACK_REQUEST_SIGNING_KEY_FILE')?.value ?? '';
    const mounted = mountedFile(pod, containerOf('orchestrator'), path);
    expect(mounted?.readOnly).toBe(true);
    const signingSecret = mounted?.volume?.secret?.secretName;
    expect(signingSecret).toEqual(expect.any(String));
    expect(mounted!.volume!.secret!.items?.map((i) => i.path) ?? [mounted!.file]).toContain(mounted!.file);
    expect(env.get('WRITEBACK_REQUEST_SIGNING_KEY_ID')).toBeDefined();
    // no other service gets the key's variables, its Secret as a volume, or a variable from that Secret
    for (const service of services.filter((s) => s !== 'orchestrator')) {
      const others = environmentOf(service);
      const volumes = deploymentOf(service).spec.template.spec.volumes ?? [];
      expect({
        service,
        variables: signingVariables.filter((name) => others.has(name)),
        volumes: volumes.filter((v) => v.secret?.secretName === signingSecret).map((v) => v.name),
        fromSecret: [...others].filter(([, v]) => v.secret === signingSecret).map(([name]) => name),
      }).toEqual({ service, variables: [], volumes: [], fromSecret: [] });
    }
  });

  it.each(writebackServices)(
    '%s trusts the orchestrator by public keys mounted read-only from a ConfigMap, never a Secret',
    (service) => {
      const pod = deploymentOf(service).spec.template.spec;
      const env = environmentOf(service);
      const setting = env.get('WRITEBACK_REQUEST_PUBLIC_KEYS')?.value ?? '';
      // `keyId=/path,…` or one directory of <keyId>.pem files (libs/kafka record-signing.ts loadVerificationKeys)
      const paths = setting.includes('=')
        ? setting.split(',').map((e) => e.slice(e.indexOf('=') + 1).trim())
        : [setting];
      for (const path of paths) {
        const mounted = mountedFile(pod, containerOf(service), path);
        expect({ path, readOnly: mounted?.readOnly, secret: mounted?.volume?.secret }).toEqual({
          path,
          readOnly: true,
          secret: undefined,
        });
        expect(mounted?.volume?.configMap?.name).toEqual(expect.any(String));
      }
      expect(['report', 'skip']).toContain(env.get('WRITEBACK_UNSERVED_REQUESTS')?.value);
    },
  );

  it("the ops console gets only what its config reads: no Kafka, no database, no other service's Secret", () => {
    const env = environmentOf('ops-console');
    const reads = [...Object.keys(consoleConfigSchema.shape), 'NODE_OPTIONS'];
    expect([...env.keys()].filter((name) => !reads.includes(name))).toEqual([]);
    expect(
      [...env.keys()].filter((name) => /^(KAFKA_|DATABASE_URL|SFTP_|SCHEMA_REGISTRY)/.test(name)),
    ).toEqual([]);
    const secrets = new Set(
      [...env.values()].map((v) => v.secret).filter((name): name is string => name !== undefined),
    );
    expect([...secrets]).toEqual(['ops-console-secrets']);
    const volumes = deploymentOf('ops-console').spec.template.spec.volumes ?? [];
    expect(volumes.filter((v) => v.secret !== undefined).map((v) => v.name)).toEqual([]);
    // the config as it would load: ConfigMap values as they are, each Secret key a well-formed stand-in
    const standIn: Record<string, string> = {
      CONSOLE_OPERATORS: `ops:agent:scrypt$32768$8$1$${'A'.repeat(22)}$${'A'.repeat(43)}`,
    };
    const raw = Object.fromEntries(
      [...env].map(([name, v]) => [
        name,
        v.from === 'secret' ? (standIn[name] ?? 'a-token-from-the-secret-0123') : (v.value ?? ''),
      ]),
    );
    // LOG_LEVEL, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT and NODE_OPTIONS by key from closeout-platform
    const platformConfig = find(base, 'ConfigMap', 'closeout-platform')!.data ?? {};
    for (const v of containerOf('ops-console').env ?? []) {
      const ref = v.valueFrom?.configMapKeyRef;
      if (ref) {
        expect({ name: v.name, key: ref.key, in: ref.name }).toEqual({
          name: v.name,
          key: v.name,
          in: 'closeout-platform',
        });
        expect(platformConfig[ref.key]).toEqual(expect.any(String));
        raw[v.name] = platformConfig[ref.key]!;
      }
    }
    const parsed = consoleConfigSchema.safeParse(raw);
    expect(parsed.error?.issues ?? []).toEqual([]);
    // the orchestrator lets the console, and only the console, act for its signed-in operator
    expect(environmentOf('orchestrator').get('ORCHESTRATOR_ON_BEHALF_OF_PRINCIPALS')?.value).toBe(
      'ops-console',
    );
  });

  it('gives the workflow definitions to the orchestrator alone (the reconciler does not read them)', () => {
    const workflowVariables = (service: ServiceName) =>
      [...environmentOf(service).keys()].filter((name) => name.startsWith('WORKFLOW_'));
    for (const service of services.filter((s) => s !== 'orchestrator'))
      expect({ service, variables: workflowVariables(service) }).toEqual({ service, variables: [] });
    expect(workflowVariables('orchestrator').sort()).toEqual([
      'WORKFLOW_DEFINITIONS_DIR',
      'WORKFLOW_GOLDEN_PAYLOADS_DIR',
    ]);
  });

  it.each(kafkaServices)(
    '%s connects to Kafka as its own principal, with settings the code accepts',
    (service) => {
      const env = environmentOf(service);
      expect({ service, problems: kafkaProblems(env) }).toEqual({ service, problems: [] });
      const protocol = env.get('KAFKA_SECURITY_PROTOCOL')?.value ?? 'PLAINTEXT';
      // base is the production layout: authenticated, encrypted (docs/security/kafka.md, "Production: TLS")
      expect(protocol).toBe('SASL_SSL');
      expect(env.get('KAFKA_SASL_USERNAME')).toEqual({ from: 'literal', value: service });
      const ownSecret = `${service}-secrets`;
      const password = env.get('KAFKA_SASL_PASSWORD');
      if (password) {
        expect(password).toEqual({ from: 'secret', secret: ownSecret });
      } else {
        const path = env.get('KAFKA_SASL_PASSWORD_FILE')?.value ?? '';
        const pod = deploymentOf(service).spec.template.spec;
        const mounted = mountedFile(pod, containerOf(service), path);
        expect({ service, readOnly: mounted?.readOnly, secret: mounted?.volume?.secret?.secretName }).toEqual(
          {
            service,
            readOnly: true,
            secret: ownSecret,
          },
        );
        expect(mounted!.volume!.secret!.items?.map((i) => i.path) ?? [mounted!.file]).toContain(
          mounted!.file,
        );
      }
      // its own credentials only: no other service's Secret anywhere in its pod
      const pod = deploymentOf(service).spec.template.spec;
      const foreign = services.filter((s) => s !== service).map((s) => `${s}-secrets`);
      expect({
        service,
        volumes: (pod.volumes ?? [])
          .filter((v) => foreign.includes(v.secret?.secretName ?? ''))
          .map((v) => v.name),
        variables: [...env].filter(([, v]) => foreign.includes(v.secret ?? '')).map(([name]) => name),
      }).toEqual({ service, volumes: [], variables: [] });
    },
  );

  it.each(kafkaServices)(
    '%s in the dev overlay talks PLAINTEXT to the dev broker, with no SASL setting left',
    (service) => {
      // the dev broker (docker-compose.yml's kafka) has no SASL listener; SASL settings under PLAINTEXT stop a service
      const dev = devManifests();
      const deployment = find<Deployment>(dev, 'Deployment', service)!;
      const container = deployment.spec.template.spec.containers[0]!;
      const env = environmentOf(service, dev, container);
      expect({ service, problems: kafkaProblems(env) }).toEqual({ service, problems: [] });
      expect(env.get('KAFKA_SECURITY_PROTOCOL')?.value).toBe('PLAINTEXT');
      const items = (deployment.spec.template.spec.volumes ?? []).flatMap((v) => v.secret?.items ?? []);
      expect(items.map((i) => i.key)).not.toContain('KAFKA_SASL_PASSWORD');
      for (const m of container.volumeMounts ?? [])
        expect((deployment.spec.template.spec.volumes ?? []).map((v) => v.name)).toContain(m.name);
    },
  );

  it("the ServiceMonitor scrapes /metrics on every catalog app's Service, the console's included", () => {
    const [monitor] = parseFile(join(k8sDir, 'monitoring', 'service-monitor.yaml')) as (Manifest & {
      spec: {
        selector: { matchLabels: Record<string, string> };
        endpoints: { port: string; path: string }[];
      };
    })[];
    expect(monitor!.spec.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
    // base labels every object it deploys; a Service matches when those labels hold the selector's
    const baseLabels = Object.assign(
      {},
      ...((readKustomization(baseDir) as { labels?: { pairs: Record<string, string> }[] }).labels ?? []).map(
        (l) => l.pairs,
      ),
    ) as Record<string, string>;
    expect(baseLabels).toEqual(expect.objectContaining(monitor!.spec.selector.matchLabels));
    for (const service of services) {
      const svc = find<Manifest & { spec: { ports: { name?: string }[] } }>(base, 'Service', service);
      expect({ service, ports: svc?.spec.ports.map((p) => p.name) }).toEqual({
        service,
        ports: expect.arrayContaining(['http']),
      });
      expect(svc!.metadata.labels?.['app.kubernetes.io/name']).toBe(service);
    }
  });

  it('the dev overlay patches objects base defines and retags every service image', () => {
    const devDir = join(k8sDir, 'overlays', 'dev');
    const dev = readKustomization(devDir);
    for (const patch of dev.patches ?? []) {
      if (patch.path !== undefined) {
        for (const doc of parseFile(resolve(devDir, patch.path)) as Manifest[]) {
          expect({
            patch: patch.path,
            target: find(base, doc.kind, doc.metadata.name) !== undefined,
          }).toEqual({ patch: patch.path, target: true });
        }
      } else {
        expect(base.some((m) => m.kind === patch.target?.kind)).toBe(true);
      }
    }
    // kustomize ignores an `images` entry that matches no container without a word
    const baseImages = services.map((s) => containerOf(s).image.replace(/:[^:/]+$/, ''));
    expect((dev.images ?? []).map((i) => i.name).sort()).toEqual([...baseImages].sort());
  });
});
