/**
 * Peer comparison with Auditree (auditree-framework + auditree-arboretum from PyPI, installed by
 * scripts/ensure-auditree.sh): the same GitHub evidence, branch protection and repository metadata of N
 * repositories, collected by Auditree's GitHub fetchers and by our GitHub connector from the same fake
 * GitHub (test/fakes/github-server.ts, 20 ms added to every answer). Prints one JSON line.
 *
 *   npx tsx bench/auditree-github.ts [repos=50] [rounds=5]
 *
 * Auditree side ("runner" mode): its own runner, `compliance --fetch --evidence local`, in a throwaway
 * Auditree project (controls.json, a fetchers/fetch_github.py importing arboretum's
 * GithubRepoMetaDataFetcher and GithubRepoBranchProtectionFetcher), a credentials file with a
 * [github_enterprise] token and a config naming the repositories under
 * `org.auditree.repo_integrity.repos` / `.branches`, with a local git evidence locker. The fetchers build
 * the API root from a repository URL's scheme and host name only (`<scheme>://<host>/api/v3`, the GitHub
 * Enterprise layout), dropping any port, so the fake (served under /api/v3) is reached through a plain TCP
 * forwarder on port 80 of a loopback address (127.77.0.1). If that port cannot be bound, the fallback
 * ("client" mode, bench/auditree-client.py) drives Auditree's `Github` client with the same calls.
 * Our side goes through the same forwarder (in runner mode): collectInto (the activity body) of a github
 * source with only `branchProtection` on and the same repositories listed, into a fresh filesystem store.
 * Like Auditree's fetcher it reads classic protection only (`branchRulesets: false`: no rulesets request),
 * and it reads 8 repositories at once (`requests.concurrency: 8`, the configured ceiling: GitHub's
 * secondary-rate-limit guidance asks for few concurrent requests, and the client backs off on 403/429).
 *
 * Wall time, both sides: the collection itself, without process start-up. Auditree: the fetch phase as its
 * runner reports it ("Ran 2 tests in X s": the fetchers' HTTP calls and evidence files written into the
 * locker; not Python start-up, config loading, locker init or the final git commit, reported apart).
 * Ours: collectInto (HTTP, redaction, hashing, fsynced blob writes, staging). Median of `rounds` runs each,
 * alternating, each on a fresh locker / store. Requests: counted at the fake.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { collectInto } from '../activities/collect';
import { FilesystemStore } from '../evidence/fs-store';
import { loadConfig } from '../config/config';
import { createLogger } from '../worker/logger';
import { FakeGithub } from '../test/fakes/github-server';

const log = createLogger({ level: 'silent' });
const root = path.join(__dirname, '..');
const forwardHost = '127.77.0.1';

function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; stdout: string; stderr: string; seconds: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr, seconds: Number(process.hrtime.bigint() - t0) / 1e9 }));
  });
}

/** A TCP forwarder from host:80 to the fake: bytes pass through untouched. */
async function forwarder(targetPort: number): Promise<net.Server | undefined> {
  const server = net.createServer({ noDelay: true }, (client) => {
    const upstream = net.connect({ port: targetPort, host: '127.0.0.1', noDelay: true });
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(80, forwardHost, resolve);
    });
    return server;
  } catch (err) {
    process.stderr.write(
      `[auditree-bench] cannot listen on ${forwardHost}:80 (${(err as Error).message}); falling back to driving Auditree's Github client\n`,
    );
    return undefined;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function main(): Promise<void> {
  const repoCount = Number(process.argv[2] ?? 50);
  const rounds = Number(process.argv[3] ?? 5);
  const latencyMs = Number(process.env['BENCH_SWEEP_LATENCY_MS'] ?? 20);
  const python = execFileSync('bash', [path.join(root, 'scripts', 'ensure-auditree.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 20 * 60_000,
  })
    .trim()
    .split('\n')
    .at(-1)!;
  const compliance = path.join(path.dirname(python), 'compliance');
  const versions = (
    await run(python, [
      '-c',
      "import importlib.metadata as m; print(' '.join(f'{p} {m.version(p)}' for p in ('auditree-framework', 'auditree-arboretum')))",
    ])
  ).stdout.trim();

  const dir = await mkdtemp(path.join(os.tmpdir(), 'eh-auditree-bench-'));
  const gh = await FakeGithub.start({ prefix: '/api/v3', latencyMs });
  // BENCH_AUDITREE_MODE=client forces the fallback (to test it).
  const fwd =
    process.env['BENCH_AUDITREE_MODE'] === 'client' ? undefined : await forwarder(Number(new URL(gh.baseUrl).port));
  const mode = fwd ? 'runner' : 'client';
  try {
    const repos: string[] = [];
    for (let i = 0; i < repoCount; i++) {
      const name = `model-svc-${String(i).padStart(3, '0')}`;
      gh.addRepo('acme', name, {
        protection: {
          requiredApprovingReviewCount: 1 + (i % 2),
          requireCodeOwnerReviews: true,
          requiredStatusChecks: ['ci/test'],
          enforceAdmins: i % 3 === 0,
        },
      });
      repos.push(`acme/${name}`);
    }
    // Both sides reach the fake the same way: through the forwarder in runner mode, directly otherwise.
    const origin = fwd ? `http://${forwardHost}` : new URL(gh.baseUrl).origin;

    // ---- Auditree project ---------------------------------------------------------------------------
    const project = path.join(dir, 'auditree-project');
    await mkdir(path.join(project, 'fetchers'), { recursive: true });
    await writeFile(path.join(project, 'controls.json'), '{}\n');
    await writeFile(path.join(project, 'fetchers', '__init__.py'), '');
    await writeFile(
      path.join(project, 'fetchers', 'fetch_github.py'),
      [
        '"""The arboretum GitHub fetchers under comparison (recent commits is left out: we collect no such evidence)."""',
        'from arboretum.auditree.fetchers.github.fetch_branch_protection import GithubRepoBranchProtectionFetcher  # noqa: F401',
        'from arboretum.auditree.fetchers.github.fetch_repo_metadata import GithubRepoMetaDataFetcher  # noqa: F401',
        '',
      ].join('\n'),
    );
    const creds = path.join(project, 'creds.ini');
    await writeFile(creds, '[github_enterprise]\ntoken=ghp_test\n');
    const repoUrls = repos.map((r) => `${origin}/${r}`);
    const auditreeEnv: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!/^GITHUB|^GIT_/.test(k)) auditreeEnv[k] = v;
    Object.assign(auditreeEnv, {
      GIT_AUTHOR_NAME: 'bench',
      GIT_AUTHOR_EMAIL: 'bench@example.com',
      GIT_COMMITTER_NAME: 'bench',
      GIT_COMMITTER_EMAIL: 'bench@example.com',
    });

    const auditreeRun = async (round: number) => {
      const locker = path.join(dir, `locker-${round}`);
      const before = gh.http.requests.length;
      if (mode === 'runner') {
        const cfg = path.join(project, `auditree-${round}.json`);
        await writeFile(
          cfg,
          JSON.stringify({
            locker: { dirname: `locker-${round}`, local_path: locker },
            org: {
              auditree: {
                repo_integrity: { repos: repoUrls, branches: Object.fromEntries(repoUrls.map((u) => [u, ['main']])) },
              },
            },
          }),
        );
        const r = await run(compliance, ['--fetch', '--evidence', 'local', '-C', cfg, '--creds-path', creds], {
          cwd: project,
          env: auditreeEnv,
        });
        const ran = /Ran (\d+) tests? in ([\d.]+)s/.exec(r.stderr);
        const evidence = (await readdir(path.join(locker, 'raw', 'auditree')).catch(() => [] as string[])).filter((f) =>
          /_(repo_metadata|branch_protection)\.json$/.test(f),
        ).length;
        if (r.code !== 0 || !ran || evidence !== 2 * repoCount)
          throw new Error(
            `compliance --fetch failed (exit ${r.code}, ${evidence} evidence files):\n${r.stderr.slice(-3000)}`,
          );
        return {
          seconds: Number(ran[2]),
          processSeconds: r.seconds,
          requests: gh.http.requests.length - before,
          evidence,
        };
      }
      const r = await run(
        python,
        [path.join(__dirname, 'auditree-client.py'), origin, creds, locker, 'main', ...repos],
        { env: auditreeEnv },
      );
      if (r.code !== 0) throw new Error(`auditree-client.py failed (exit ${r.code}):\n${r.stderr.slice(-3000)}`);
      const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { seconds: number; evidence: number };
      return {
        seconds: out.seconds,
        processSeconds: r.seconds,
        requests: gh.http.requests.length - before,
        evidence: out.evidence,
      };
    };

    // ---- our side ---------------------------------------------------------------------------------
    process.env['BENCH_GITHUB_TOKEN'] = 'ghp_test';
    const sourceYaml = (scope: string) =>
      `  - { id: github, type: github, baseUrl: "${origin}/api/v3", auth: { token: { env: BENCH_GITHUB_TOKEN } }, ${scope}, collect: { branchProtection: true, branchRulesets: false, pullRequests: false, codeowners: false, releases: false, tags: false, dependabotAlerts: false, environments: false }, requests: { concurrency: 8 } }`;
    const oursRun = async (round: number, scope = `repositories: [${repos.join(', ')}]`) => {
      const hubDir = path.join(dir, `ours-${round}`);
      await mkdir(hubDir, { recursive: true });
      await writeFile(
        path.join(hubDir, 'evidence-hub.yaml'),
        `version: 1\nstore: { path: ./store }\nsources:\n${sourceYaml(scope)}\n`,
      );
      const config = await loadConfig(path.join(hubDir, 'evidence-hub.yaml'));
      const store = await FilesystemStore.open(path.join(hubDir, 'store'));
      gh.rateLimitRemaining = 5000;
      const before = gh.http.requests.length;
      const t0 = process.hrtime.bigint();
      const r = await collectInto(
        store,
        config,
        config.sources[0]!,
        { bundleId: `bench-${round}`, source: 'github' },
        log,
        () => new Date(),
      );
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      if (r.artifactCount !== repoCount)
        throw new Error(`our collection gave ${r.artifactCount} artifacts, not ${repoCount}`);
      return { seconds, requests: gh.http.requests.length - before, artifacts: r.artifactCount, stats: r.stats };
    };

    const theirs: Awaited<ReturnType<typeof auditreeRun>>[] = [];
    const ours: Awaited<ReturnType<typeof oursRun>>[] = [];
    await oursRun(-1); // warm-up of this process (module loading, JIT); Python starts cold every run anyway
    for (let i = 0; i < rounds; i++) {
      theirs.push(await auditreeRun(i));
      ours.push(await oursRun(i));
    }
    const viaOrg = await oursRun(rounds, 'orgs: [{ name: acme }]');
    const t = median(theirs.map((x) => x.seconds));
    const o = median(ours.map((x) => x.seconds));
    console.log(
      JSON.stringify({
        mode,
        auditree: {
          versions,
          python,
          runs: theirs,
          medianSeconds: t,
          medianProcessSeconds: median(theirs.map((x) => x.processSeconds)),
        },
        ours: { runs: ours, medianSeconds: o, viaOrg: { seconds: viaOrg.seconds, requests: viaOrg.requests } },
        repos: repoCount,
        rounds,
        latencyMs,
        timeRatio: o / t,
        requestsRatio: ours[0]!.requests / theirs[0]!.requests,
        requestsOurs: ours[0]!.requests,
        requestsAuditree: theirs[0]!.requests,
      }),
    );
  } finally {
    fwd?.close();
    await gh.close();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
