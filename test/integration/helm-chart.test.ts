import { execFile, execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../config/config';
import { dataPath } from '../../core/data-files';
import { tempDir } from '../support/tmp';

/*
 * The Helm chart (deploy/helm/evidence-hub) rendered by the real `helm` (built from its Go module by
 * scripts/ensure-helm.sh): lint, then `helm template` with the two value sets under ci/ (mTLS to a
 * self-hosted Temporal, an API key to Temporal Cloud), asserting the objects a cluster would receive.
 * No cluster is involved: what is checked is what the chart renders.
 */

const chart = dataPath('deploy', 'helm', 'evidence-hub');
const mtlsValues = path.join(chart, 'ci', 'mtls-self-hosted-values.yaml');
const cloudValues = path.join(chart, 'ci', 'cloud-api-key-values.yaml');
let helm: string;

beforeAll(() => {
  helm = execFileSync('bash', [dataPath('scripts', 'ensure-helm.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 30 * 60_000,
  })
    .trim()
    .split('\n')
    .at(-1)!;
  // The first build of helm from its Go module takes minutes (.ci/run builds it before the tests).
}, 40 * 60_000);

interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Container {
  args: string[];
  env: EnvVar[];
  ports: { name: string; containerPort: number }[];
  volumeMounts: { name: string; mountPath: string; readOnly?: boolean }[];
  startupProbe: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  resources: { requests: { memory: string }; limits: { memory: string } };
  securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean };
}
interface Volume {
  name: string;
  secret?: { secretName: string; defaultMode?: number };
  configMap?: { name: string };
  emptyDir?: object;
  persistentVolumeClaim?: { claimName: string };
}

async function render(...valueFiles: string[]): Promise<K8sObject[]> {
  const args = ['template', 'eh', chart, ...valueFiles.flatMap((f) => ['-f', f])];
  const { stdout } = await promisify(execFile)(helm, args, { maxBuffer: 16 << 20 });
  return parseAllDocuments(stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

function workload(objects: K8sObject[]) {
  const deployment = objects.find((o) => o.kind === 'Deployment')!;
  const pod = (deployment.spec!['template'] as { spec: { containers: Container[]; volumes: Volume[] } }).spec;
  const container = pod.containers[0]!;
  const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e]));
  /** The volume mounted at the folder holding `file`. */
  const volumeOf = (file: string) => {
    const mount = container.volumeMounts.find((m) => path.dirname(file) === m.mountPath);
    return mount && pod.volumes.find((v) => v.name === mount.name);
  };
  return { deployment, pod, container, env, volumeOf };
}

/** The ConfigMap's evidence-hub.yaml, loaded by the same code as the worker. */
async function renderedConfig(objects: K8sObject[]) {
  const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
  const dir = await tempDir();
  await writeFile(path.join(dir, 'evidence-hub.yaml'), configMap.data!['evidence-hub.yaml']!);
  return loadConfig(path.join(dir, 'evidence-hub.yaml'));
}

function mebibytes(quantity: string): number {
  const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!m) throw new Error(`unexpected quantity ${quantity}`);
  return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
}

describe('Helm chart deploy/helm/evidence-hub', () => {
  it('passes `helm lint --strict` with its defaults and with both value sets', async () => {
    for (const values of [[], ['-f', mtlsValues], ['-f', cloudValues]]) {
      const { stdout } = await promisify(execFile)(helm, ['lint', '--strict', chart, ...values]);
      expect(stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    }
  });

  it('mTLS to a self-hosted Temporal: env vars, mounted certificates, probes, replicas, ServiceMonitor', async () => {
    const objects = await render(mtlsValues);
    const { deployment, container, env, volumeOf, pod } = workload(objects);
    expect(deployment.spec!['replicas']).toBe(3);

    expect(env['TEMPORAL_ADDRESS']?.value).toBe('temporal-frontend.temporal.svc:7233');
    expect(env['TEMPORAL_NAMESPACE']?.value).toBe('compliance');
    expect(env['TEMPORAL_TLS']?.value).toBe('true');
    expect(env['TEMPORAL_TLS_SERVER_NAME']?.value).toBe('temporal-frontend.temporal.svc');
    expect(env['TEMPORAL_API_KEY']).toBeUndefined();
    // Each certificate path lies in a read-only mount of the Secret named in the values (no subPath, so a
    // renewed certificate reaches the running worker).
    const cert = env['TEMPORAL_TLS_CLIENT_CERT_PATH']!.value!;
    const key = env['TEMPORAL_TLS_CLIENT_KEY_PATH']!.value!;
    const ca = env['TEMPORAL_TLS_SERVER_CA_CERT_PATH']!.value!;
    expect(path.basename(cert)).toBe('tls.crt');
    expect(path.basename(key)).toBe('tls.key');
    expect(path.basename(ca)).toBe('ca.crt');
    expect(volumeOf(cert)?.secret?.secretName).toBe('evidence-hub-temporal-client');
    expect(volumeOf(key)?.secret?.secretName).toBe('evidence-hub-temporal-client');
    expect(volumeOf(ca)?.secret?.secretName).toBe('temporal-ca');
    expect(container.volumeMounts.every((m) => !('subPath' in m))).toBe(true);

    // Secrets only by reference: no literal value for a token or key anywhere in the rendered objects.
    expect(env['GITHUB_TOKEN']?.valueFrom?.secretKeyRef).toEqual({ name: 'evidence-hub-sources', key: 'github-token' });
    expect(env['AWS_SECRET_ACCESS_KEY']?.value).toBeUndefined();
    expect(objects.some((o) => o.kind === 'Secret')).toBe(false);

    // The config the worker reads is a valid evidence-hub config, and its signing key file is the mounted Secret.
    const config = await renderedConfig(objects);
    expect(config.store).toMatchObject({ s3: { bucket: 'acme-evidence', region: 'eu-central-1' } });
    const signingFile = (config.signing.key as { file: string }).file;
    expect(volumeOf(signingFile)?.secret).toMatchObject({ secretName: 'evidence-hub-signing-key', defaultMode: 0o400 });
    expect(container.args).toEqual([
      'worker',
      '--config',
      '/etc/evidence-hub/config/evidence-hub.yaml',
      '--metrics-address',
      '0.0.0.0:9464',
    ]);
    expect(volumeOf('/etc/evidence-hub/config/evidence-hub.yaml')?.configMap?.name).toBe('eh-evidence-hub-config');

    // Probes: liveness and startup on /healthz, readiness on /readyz, all on the metrics port.
    expect(container.ports).toEqual([{ name: 'metrics', containerPort: 9464, protocol: 'TCP' }]);
    expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });

    // Read-only root file system: every writable mount is a volume of its own.
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    const writable = container.volumeMounts.filter((m) => !m.readOnly).map((m) => m.mountPath);
    expect(writable.sort()).toEqual(['/tmp', '/var/lib/evidence-hub']);
    expect(pod.volumes.find((v) => v.name === 'tmp')?.emptyDir).toBeDefined();

    const monitor = objects.find((o) => o.kind === 'ServiceMonitor')!;
    expect(monitor.metadata.labels?.['release']).toBe('kube-prometheus-stack');
    expect(monitor.spec!['endpoints']).toEqual([expect.objectContaining({ port: 'metrics', path: '/metrics' })]);
    const service = objects.find((o) => o.kind === 'Service')!;
    expect(service.spec!['ports']).toEqual([expect.objectContaining({ name: 'metrics', port: 9464 })]);
  });

  it('API key to Temporal Cloud: the key from a Secret, TLS on, no client certificate, no ServiceMonitor', async () => {
    const objects = await render(cloudValues);
    const { deployment, container, env, pod } = workload(objects);
    expect(deployment.spec!['replicas']).toBe(2);
    expect(env['TEMPORAL_ADDRESS']?.value).toBe('compliance.a1b2c.tmprl.cloud:7233');
    expect(env['TEMPORAL_NAMESPACE']?.value).toBe('compliance.a1b2c');
    expect(env['TEMPORAL_API_KEY']).toEqual({
      name: 'TEMPORAL_API_KEY',
      valueFrom: { secretKeyRef: { name: 'temporal-cloud-api-key', key: 'api-key' } },
    });
    expect(env['TEMPORAL_TLS']?.value).toBe('true');
    for (const name of [
      'TEMPORAL_TLS_CLIENT_CERT_PATH',
      'TEMPORAL_TLS_CLIENT_KEY_PATH',
      'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
      'TEMPORAL_TLS_SERVER_NAME',
    ]) {
      expect(env[name], name).toBeUndefined();
    }
    expect(container.volumeMounts.map((m) => m.name).sort()).toEqual(['config', 'data', 'signing-key', 'tmp']);
    expect(pod.volumes.find((v) => v.name === 'data')?.persistentVolumeClaim).toEqual({
      claimName: 'evidence-hub-documents',
    });
    expect(objects.some((o) => o.kind === 'ServiceMonitor')).toBe(false);
    expect((await renderedConfig(objects)).sources.map((s) => s.id)).toEqual(['policies']);
  });

  it('memory requests cover the benchmark peak RSS of collection, the limit covers a million-artifact evaluation', async () => {
    const { container } = workload(await render());
    const figures = (
      JSON.parse(readFileSync(dataPath('bench', 'results.json'), 'utf8')) as {
        figures: { benchmark: string; metric: string; value: number; unit: string }[];
      }
    ).figures.filter((f) => /peak RSS/.test(f.metric) && f.unit === 'MB');
    // Collection streams (storage, SIEM ingest); evaluation holds the index: the in-memory evaluation and a
    // cold `status` process over a million artifacts. Any other benchmark with a peak RSS must be placed here.
    const collectionBenchmarks = new Set(['storage', 'siem']);
    const evaluationBenchmarks = new Set(['evaluation', 'status-1m']);
    const unplaced = figures.filter(
      (f) => !collectionBenchmarks.has(f.benchmark) && !evaluationBenchmarks.has(f.benchmark),
    );
    expect(unplaced, 'a peak RSS figure from a benchmark this test does not place').toEqual([]);
    const collection = figures.filter((f) => collectionBenchmarks.has(f.benchmark)).map((f) => f.value);
    const evaluation = figures.filter((f) => evaluationBenchmarks.has(f.benchmark)).map((f) => f.value);
    expect(collection.length).toBeGreaterThanOrEqual(3);
    expect(evaluation.length).toBe(2);
    const mb = (mib: number) => (mib * 1024 * 1024) / 1e6;
    expect(mb(mebibytes(container.resources.requests.memory))).toBeGreaterThanOrEqual(Math.max(...collection));
    expect(mb(mebibytes(container.resources.limits.memory))).toBeGreaterThanOrEqual(Math.max(...evaluation));
  });

  it('refuses inconsistent values with a message naming the setting', async () => {
    const dir = await tempDir();
    const bad = path.join(dir, 'bad.yaml');
    await writeFile(bad, 'temporal:\n  tls:\n    enabled: false\n    clientCertSecret: evidence-hub-temporal-client\n');
    await expect(render(bad)).rejects.toThrow(
      /temporal\.tls\.clientCertSecret is set but temporal\.tls\.enabled is false/,
    );
    await writeFile(bad, 'signingKey:\n  secretName: ""\n');
    await expect(render(bad)).rejects.toThrow(/signingKey\.secretName/);
  });
});
