import type { ScheduleDescription } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { describeSchedule } from '../../worker/schedules';

/** A schedule handle whose describe answers with `outcomes` in turn (an error, or a description). */
function handle(outcomes: (Error | ScheduleDescription)[]) {
  let calls = 0;
  return {
    calls: () => calls,
    describe: async () => {
      const o = outcomes[calls++]!;
      if (o instanceof Error) throw o;
      return o;
    },
  };
}
const grpcError = (code: number) =>
  Object.assign(new Error('Failed to describe schedule'), { cause: Object.assign(new Error(`${code}`), { code }) });
const description = { scheduleId: 's' } as unknown as ScheduleDescription;

describe('describing a schedule', () => {
  it('retries a missed deadline or an unavailable server, twice at most', async () => {
    const flaky = handle([grpcError(4), grpcError(14), description]);
    expect(await describeSchedule(flaky)).toBe(description);
    expect(flaky.calls()).toBe(3);
    const down = handle([grpcError(4), grpcError(4), grpcError(4), description]);
    await expect(describeSchedule(down)).rejects.toThrow('Failed to describe schedule');
    expect(down.calls()).toBe(3);
  }, 10_000);

  it('does not retry other errors', async () => {
    const missing = handle([grpcError(5), description]);
    await expect(describeSchedule(missing)).rejects.toThrow();
    expect(missing.calls()).toBe(1);
  });
});
