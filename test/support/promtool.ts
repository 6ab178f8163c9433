import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

/** Prometheus's own `promtool`, built from its Go module by scripts/ensure-promtool.sh (cached). */
export function promtoolBinary(): string {
  if (process.env['PROMTOOL_PATH']) return process.env['PROMTOOL_PATH'];
  const script = path.join(__dirname, '..', '..', 'scripts', 'ensure-promtool.sh');
  return execFileSync('bash', [script], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 30 * 60_000,
  })
    .trim()
    .split('\n')
    .at(-1)!;
}

/** `promtool check metrics` on an exposition (stdin): its exit code and what it said. */
export function promtoolCheckMetrics(exposition: string): { code: number | null; output: string } {
  const r = spawnSync(promtoolBinary(), ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

/** The samples of one metric family in a text exposition, keyed by their label set as written. */
export function samples(exposition: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of exposition.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const v = m[3]!;
    out.set(m[2] ?? '', v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v));
  }
  return out;
}
