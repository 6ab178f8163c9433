import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { committedSourcesDigest, git, mergeResults, type Figure, type Results } from '../../bench/figures';
import { readmePath, readResults, renderTable, tableEnd, tableStart, withTable } from '../../bench/readme-table';
import { benchmarkSources } from '../../bench/sources';
import { staleFigures } from '../../bench/stale';

const figure = (over: Partial<Figure>): Figure => ({
  benchmark: 'cycle',
  metric: 'm',
  value: 1,
  unit: 'x',
  date: '2026-12-01T00:00:00.000Z',
  commit: 'a'.repeat(40),
  dirty: false,
  machine: 'm1',
  ...over,
});

describe('benchmark table in the README', () => {
  it('is exactly the table generated from bench/results.json (run `npm run bench:readme` after editing results)', () => {
    const readme = readFileSync(readmePath, 'utf8');
    const between = readme.slice(readme.indexOf(tableStart) + tableStart.length, readme.indexOf(tableEnd));
    expect(readme.indexOf(tableStart)).toBeGreaterThan(0);
    expect(between.trim()).toEqual(renderTable(readResults()).trim());
  });

  it('every figure carries its own date, commit and machine, and its benchmark declares its source paths', () => {
    for (const f of readResults().figures) {
      expect(Number.isNaN(Date.parse(f.date)), f.metric).toBe(false);
      expect(f.commit, f.metric).toMatch(/^[0-9a-f]{40}$/);
      expect(f.machine.length, f.metric).toBeGreaterThan(0);
      expect(benchmarkSources[f.benchmark], f.benchmark).toBeDefined();
    }
  });

  it('a partial run replaces only the parts it ran and keeps the others with their own stamps', () => {
    const previous: Results = {
      format: 'evidence-hub/bench@2',
      figures: [
        figure({ benchmark: 'sweep', metric: 'old sweep' }),
        figure({ benchmark: 'cycle', metric: 'old cycle' }),
      ],
      raw: { sweep: 1, cycle: 1 },
    };
    const fresh = [
      figure({ benchmark: 'cycle', metric: 'new cycle', date: '2026-12-06T00:00:00.000Z', commit: 'b'.repeat(40) }),
    ];
    const merged = mergeResults(previous, fresh, { cycle: 2 });
    expect(merged.figures.map((f) => [f.metric, f.commit[0], f.date.slice(0, 10)])).toEqual([
      ['old sweep', 'a', '2026-12-01'],
      ['new cycle', 'b', '2026-12-06'],
    ]);
    expect(merged.raw).toEqual({ sweep: 1, cycle: 2 });
  });

  it('shows a missed goal with its reason, and refuses a README without the markers', () => {
    const results: Results = {
      format: 'evidence-hub/bench@2',
      figures: [figure({ target: '≤ 1.5 x', met: false, shortfall: 'because | next' })],
      raw: {},
    };
    expect(renderTable(results)).toContain('≤ 1.5 x: **not met**. because \\| next');
    expect(() => withTable('# no markers\n', results)).toThrow(/markers/);
  });

  it('--check: a figure is stale when its sources changed after its commit, unless they are the ones it measured', () => {
    const head = git(['rev-parse', 'HEAD']);
    // The oldest commit that holds the evaluation benchmark; its sources changed many times since.
    const old = git(['log', '--reverse', '--format=%H', '--', 'bench/evaluate.ts']).split('\n')[0]!;
    const current = figure({ benchmark: 'evaluation', commit: head });
    const outdated = figure({ benchmark: 'evaluation', commit: old });
    const measuredAsCommitted = figure({
      benchmark: 'evaluation',
      commit: old,
      sourcesDigest: committedSourcesDigest('HEAD', benchmarkSources['evaluation']!),
    });
    const unknown = figure({ benchmark: 'evaluation', commit: 'f'.repeat(40) });
    const stale = staleFigures([current, outdated, measuredAsCommitted, unknown]);
    expect(stale.map((s) => s.figure)).toEqual([outdated, unknown]);
    expect(stale[0]!.commits.length).toBeGreaterThan(0);
    expect(stale[1]!.reason).toMatch(/not in this repository/);
  });
});
