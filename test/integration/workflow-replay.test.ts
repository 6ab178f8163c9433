import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, it } from 'vitest';
import { dataPath } from '../../core/data-files';
import { workflowBundle } from '../support/hub-fixture';

/*
 * Determinism across releases. test/fixtures/histories/<release>/ holds histories recorded from real runs on
 * a Temporal dev server by `npm run record:histories -- <release>` (sweeps with and without batch children,
 * the staleness monitor healthy and with Slack failing, the integrity workflow). A sweep or monitor still
 * running when workers are upgraded is replayed by the new code: each recorded history must replay against
 * the current workflow code, or the change needs `patched()` (docs/deploy.md, "Upgrades").
 */

interface Recorded {
  file: string;
  workflowId: string;
  history: { events: { eventType: string; [k: string]: unknown }[] };
}

const root = dataPath('test', 'fixtures', 'histories');
const recorded: Recorded[] = readdirSync(root).flatMap((release) =>
  readdirSync(path.join(root, release))
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({
      file: `${release}/${f}`,
      ...(JSON.parse(readFileSync(path.join(root, release, f), 'utf8')) as Omit<Recorded, 'file'>),
    })),
);

function eventTypes(r: Recorded): string[] {
  return r.history.events.map((e) => e.eventType);
}

describe('workflow histories recorded by earlier releases', () => {
  it('cover a sweep, its batch children, the staleness monitor and the integrity workflow', () => {
    const types = recorded.map(
      (r) =>
        (r.history.events[0]!['workflowExecutionStartedEventAttributes'] as { workflowType: { name: string } })
          .workflowType.name,
    );
    expect(new Set(types)).toEqual(
      new Set(['sweepWorkflow', 'collectBatchWorkflow', 'stalenessMonitorWorkflow', 'integrityWorkflow']),
    );
    // The sweep histories include a failed source, child workflows and the signal to the monitor.
    const all = recorded.flatMap(eventTypes);
    for (const t of [
      'EVENT_TYPE_ACTIVITY_TASK_FAILED',
      'EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED',
      'EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED',
      'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED',
      'EVENT_TYPE_TIMER_STARTED',
    ]) {
      expect(all, t).toContain(t);
    }
    // Monitors from before a patch (no marker) and after it (the marker recorded): both must replay.
    const monitors = recorded.filter((r) => r.workflowId.endsWith('.staleness-monitor'));
    expect(monitors.some((r) => eventTypes(r).includes('EVENT_TYPE_MARKER_RECORDED'))).toBe(true);
    expect(monitors.some((r) => !eventTypes(r).includes('EVENT_TYPE_MARKER_RECORDED'))).toBe(true);
  });

  it('replay against the current workflow code without a determinism violation', async () => {
    const results = Worker.runReplayHistories(
      { workflowBundle: await workflowBundle() },
      recorded.map((r) => ({ workflowId: r.workflowId, history: historyFromJSON(r.history) })),
    );
    const outcomes: string[] = [];
    for await (const r of results) outcomes.push(`${r.workflowId}: ${r.error ? r.error.message : 'ok'}`);
    expect(outcomes).toHaveLength(recorded.length);
    expect(outcomes.filter((o) => !o.endsWith(': ok'))).toEqual([]);
  });

  it('a history the code cannot have produced fails the replay (the guard is live)', async () => {
    // The same sweep, except that its first activity was another one: what an unpatched change looks like.
    const sweep = recorded.find((r) =>
      eventTypes(r).includes('EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED'),
    )!;
    const changed = JSON.parse(JSON.stringify(sweep.history).replace('"planSweep"', '"planSweepV0"')) as unknown;
    expect(changed).not.toEqual(sweep.history);
    await expect(
      Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, changed, sweep.workflowId),
    ).rejects.toThrow(DeterminismViolationError);
  });
});
