import fc from 'fast-check';

/**
 * How much of a property must run. fast-check stops early on a time limit (`interruptAfterTimeLimit`) and
 * then reports success on however few runs fit, even none; a slow machine or a slow change would turn a
 * fuzz test into a no-op that passes. Every property test therefore declares the runs that must complete.
 */
export interface PropertyRuns {
  /** Runs asked for. */
  numRuns: number;
  /** Runs that must complete for the test to pass: fewer (a time limit hit, an early stop) fails it. */
  minRuns: number;
  /** Wall time (ms) after which fast-check starts no new run; the runs done count towards `minRuns`. */
  timeLimitMs?: number | undefined;
  /** Fixed for reproducible CI; fast-check's report names it on a failure. */
  seed?: number | undefined;
}

export class PropertyRunsError extends Error {
  override readonly name = 'PropertyRunsError';
}

/**
 * Checks a property like `fc.assert`, then fails unless at least `minRuns` runs completed. Returns fast-check's
 * run details (how many runs, whether a time limit interrupted them) for tests that report them.
 */
export function assertProperty<Ts>(property: fc.IAsyncProperty<Ts>, runs: PropertyRuns): Promise<fc.RunDetails<Ts>>;
export function assertProperty<Ts>(property: fc.IProperty<Ts>, runs: PropertyRuns): fc.RunDetails<Ts>;
export function assertProperty<Ts>(
  property: fc.IProperty<Ts> | fc.IAsyncProperty<Ts>,
  runs: PropertyRuns,
): fc.RunDetails<Ts> | Promise<fc.RunDetails<Ts>> {
  if (!Number.isInteger(runs.minRuns) || runs.minRuns < 1 || runs.minRuns > runs.numRuns)
    throw new RangeError(`minRuns must be an integer from 1 to numRuns (${runs.numRuns}), not ${runs.minRuns}`);
  const params: fc.Parameters<Ts> = {
    numRuns: runs.numRuns,
    ...(runs.seed !== undefined ? { seed: runs.seed } : {}),
    // An interrupt is judged below (against minRuns), not by fast-check.
    ...(runs.timeLimitMs !== undefined
      ? { interruptAfterTimeLimit: runs.timeLimitMs, markInterruptAsFailure: false }
      : {}),
  };
  const details = fc.check(property as fc.IRawProperty<Ts>, params);
  return details instanceof Promise ? details.then((d) => judge(d, runs)) : judge(details, runs);
}

function judge<Ts>(details: fc.RunDetails<Ts>, runs: PropertyRuns): fc.RunDetails<Ts> {
  if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? 'property failed');
  // details.numRuns counts the runs that completed and passed (not those skipped by fc.pre).
  if (details.numRuns < runs.minRuns) {
    const why = details.interrupted
      ? `interrupted by its ${runs.timeLimitMs} ms time limit`
      : `${details.numSkips} run(s) skipped by preconditions`;
    throw new PropertyRunsError(
      `property completed ${details.numRuns} of ${runs.numRuns} runs, below its minimum of ${runs.minRuns} (${why}; seed ${details.seed})`,
    );
  }
  return details;
}
