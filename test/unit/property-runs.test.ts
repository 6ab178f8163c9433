import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertProperty, PropertyRunsError } from '../support/property';

/** The fuzz-test helper (test/support/property.ts): a property interrupted below its declared minimum fails. */

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe('assertProperty', () => {
  it('passes a property that completes all its runs, and says how many ran', () => {
    const d = assertProperty(
      fc.property(fc.integer(), (n) => n + 0 === n),
      { numRuns: 250, minRuns: 250 },
    );
    expect(d.numRuns).toBe(250);
    expect(d.interrupted).toBe(false);
  });

  it('fails an async property that its time limit stops below the minimum, naming the runs done', async () => {
    // Each run takes 20 ms: about 5 fit in 100 ms, far below 200.
    const slow = fc.asyncProperty(fc.nat(), async () => {
      await sleep(20);
    });
    const err = await assertProperty(slow, { numRuns: 1_000, minRuns: 200, timeLimitMs: 100, seed: 7 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PropertyRunsError);
    expect((err as Error).message).toMatch(
      /^property completed \d+ of 1000 runs, below its minimum of 200 \(interrupted by its 100 ms time limit; seed 7\)$/,
    );
    // The same interrupted run is fine when the minimum is what fits.
    const d = await assertProperty(slow, { numRuns: 1_000, minRuns: 1, timeLimitMs: 100 });
    expect(d.interrupted).toBe(true);
    expect(d.numRuns).toBeGreaterThanOrEqual(1);
    expect(d.numRuns).toBeLessThan(1_000);
  });

  it('fails a synchronous property stopped early by its time limit', () => {
    const busy = fc.property(fc.nat(), () => {
      for (const until = Date.now() + 5; Date.now() < until;);
    });
    expect(() => assertProperty(busy, { numRuns: 5_000, minRuns: 1_000, timeLimitMs: 50 })).toThrow(
      /below its minimum of 1000 \(interrupted/,
    );
  });

  it('reports a counterexample as fast-check does', async () => {
    expect(() =>
      assertProperty(
        fc.property(fc.integer({ min: 0, max: 100 }), (n) => n < 50),
        { numRuns: 200, minRuns: 200, seed: 1 },
      ),
    ).toThrow(/Property failed after \d+ tests[\s\S]*Counterexample: \[50\]/);
    await expect(
      assertProperty(
        fc.asyncProperty(fc.integer({ min: 0, max: 100 }), async (n) => n < 50),
        { numRuns: 200, minRuns: 200, seed: 1 },
      ),
    ).rejects.toThrow(/Counterexample: \[50\]/);
  });

  it('refuses a minimum that is not 1..numRuns', () => {
    const p = fc.property(fc.nat(), () => true);
    expect(() => assertProperty(p, { numRuns: 10, minRuns: 0 })).toThrow(RangeError);
    expect(() => assertProperty(p, { numRuns: 10, minRuns: 11 })).toThrow(/from 1 to numRuns \(10\)/);
  });

  it('is how every property test in test/ runs (no bare fc.assert or fc.check that a time limit could empty)', async () => {
    const root = path.join(__dirname, '..');
    const files = (await readdir(root, { recursive: true })).filter((f) => f.endsWith('.ts'));
    const bare: string[] = [];
    for (const f of files) {
      if (f === path.join('support', 'property.ts')) continue;
      const text = await readFile(path.join(root, f), 'utf8');
      // Assembled, so this file does not match itself.
      for (const call of ['assert', 'check']) if (text.includes(`fc.${call}(`)) bare.push(`${f}: fc.${call}(`);
    }
    expect(bare).toEqual([]);
  });
});
