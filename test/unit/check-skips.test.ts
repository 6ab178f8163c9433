import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/tmp';

/**
 * The skip gate of .ci/run (scripts/check-skips.sh), run as CI runs it: on a log of test runs and an
 * allow-list. A skip nobody listed fails CI; a listed one passes; a run that printed no summary (so its
 * skips were never named) fails too. The log lines come from a real vitest run with the summary reporter.
 */

const root = path.join(__dirname, '..', '..');
const reporter = path.join(root, 'test', 'support', 'summary-reporter.ts');

function gate(log: string, runs: number, allowList: string) {
  const r = spawnSync('bash', [path.join(root, 'scripts', 'check-skips.sh'), log, String(runs), allowList], {
    encoding: 'utf8',
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

/** Runs vitest with the summary reporter on one test file; its output is what CI's log holds. */
async function vitestLog(dir: string): Promise<string> {
  await writeFile(
    path.join(dir, 'sample.test.ts'),
    [
      "describe('group', () => {",
      "  it('runs', () => expect(1).toBe(1));",
      "  it.skip('is skipped', () => {});",
      "  it.todo('is todo');",
      '});',
      '',
    ].join('\n'),
  );
  const r = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules', 'vitest', 'vitest.mjs'),
      'run',
      '--root',
      dir,
      '--globals',
      `--reporter=${reporter}`,
    ],
    { encoding: 'utf8', cwd: root },
  );
  expect(r.status).toBe(0);
  return r.stdout;
}

describe('skip gate (scripts/check-skips.sh)', () => {
  it('fails on a skip the allow-list does not name, passes once it is listed with a reason', async () => {
    const dir = await tempDir('eh-skips-');
    const out = await vitestLog(dir);
    // What the reporter names: file > describe > test, for .skip and .todo alike.
    expect(out).toContain('skipped: sample.test.ts > group > is skipped\n');
    expect(out).toContain('skipped: sample.test.ts > group > is todo\n');
    expect(out).toContain('tests: 1 passed, 0 failed, 2 skipped\n');
    const log = path.join(dir, 'ci.log');
    await writeFile(log, out);

    const allow = path.join(dir, 'allowed-skips.txt');
    await writeFile(allow, '# nothing may be skipped\n');
    const none = gate(log, 1, allow);
    expect(none.code).toBe(1);
    expect(none.out).toContain('skipped tests not in');
    expect(none.out).toContain('sample.test.ts > group > is skipped');
    expect(none.out).toContain('sample.test.ts > group > is todo');

    // One of the two listed: still fails, naming only the other.
    await writeFile(allow, 'sample.test.ts > group > is skipped # needs a GPU\n');
    const one = gate(log, 1, allow);
    expect(one.code).toBe(1);
    expect(one.out).not.toContain('> is skipped');
    expect(one.out).toContain('sample.test.ts > group > is todo');

    await writeFile(
      allow,
      [
        '# comment line',
        'sample.test.ts > group > is skipped # needs a GPU',
        '',
        'sample.test.ts > group > is todo   # written next week',
        '',
      ].join('\n'),
    );
    const all = gate(log, 1, allow);
    expect(all.out).toContain('all listed');
    expect(all.code).toBe(0);

    // A listed name must match the whole line: a prefix of a skipped test's name does not cover it.
    await writeFile(allow, 'sample.test.ts > group > is # prefix\nsample.test.ts > group > is todo # later\n');
    expect(gate(log, 1, allow).code).toBe(1);
  });

  it('fails when a run printed no summary (its skips would go unnamed), and passes a clean log', async () => {
    const dir = await tempDir('eh-skips-');
    const allow = path.join(dir, 'allowed-skips.txt');
    await writeFile(allow, '');
    const log = path.join(dir, 'ci.log');
    await writeFile(log, 'tests: 10 passed, 0 failed, 0 skipped\n');
    expect(gate(log, 1, allow).code).toBe(0);
    // CI runs three suites (main and resilience on Node 20, main on Node 24): one summary is not enough.
    const missing = gate(log, 3, allow);
    expect(missing.code).toBe(1);
    expect(missing.out).toContain('expected 3 test-run summaries');
  });

  it('both vitest configs (npm test and npm run test:resilience) report through the summary reporter', async () => {
    for (const file of ['vitest.config.mts', 'vitest.resilience.config.mts']) {
      const config = ((await import(path.join(root, file))) as { default: { test?: { reporters?: unknown[] } } })
        .default;
      expect(config.test?.reporters, file).toContain('./test/support/summary-reporter.ts');
    }
  });
});
