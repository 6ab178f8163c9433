import { defineConfig } from 'vitest/config';

/**
 * The resilience suite (`npm run test:resilience`): workers SIGKILLed mid-sweep, the Temporal server
 * restarted, MinIO stopped mid-upload, a full disk, fuzzed hostile inputs and the security checks.
 * Kept out of `npm test`; same servers (global setup) and the same closing summary line.
 */
export default defineConfig({
  test: {
    include: ['test/resilience/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Two files at a time on a two-core machine: most of the suite waits on timeouts, not on the CPU.
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
