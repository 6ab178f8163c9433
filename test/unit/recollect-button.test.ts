import { describe, expect, it } from 'vitest';
import { alertsConfigSchema } from '../../alerts/config';
import { planAlerts } from '../../alerts/engine';
import { recollectActionId } from '../../alerts/recollect-button';
import { emptyAlertState } from '../../alerts/state';
import type { AlertPolicy, Block } from '../../alerts/types';
import { alertPolicyWithConsole } from '../../activities/alert-policy';
import { loadCatalog } from '../../mappings/catalog';
import type { ControlResult, ControlStatus } from '../../mappings/evaluate';
import { blockProblems } from '../fakes/slack-server';
import { causeFor } from '../support/causes';
import { DAY } from '../support/mapping-fixture';

const catalog = new Map(loadCatalog().controls.map((c) => [c.id, c]));
const now = new Date('2026-01-05T09:00:00Z');

function result(id: string, status: ControlStatus): ControlResult {
  const c = catalog.get(id)!;
  return {
    control: { id, title: c.title, group: c.group, groupTitle: c.groupTitle },
    status,
    cause: causeFor(status),
    reason: `${id} is ${status}`,
    evidence: [],
    rules: [],
  };
}

const policy = (p: Partial<AlertPolicy> = {}): AlertPolicy => ({
  defaultChannel: '#compliance',
  routes: [],
  digest: false,
  reminderEveryMs: 7 * DAY,
  dueSoonNotice: true,
  ...p,
});

const buttonsOf = (blocks: Block[]) =>
  blocks.flatMap((b) => (b.type === 'actions' ? b.elements.map((e) => [e.action_id, e.value]) : []));

describe('the "Re-collect now" button on stale-evidence alerts', () => {
  const results = [result('A.2.2', 'stale'), result('A.2.4', 'missing')];

  it('a stale alert carries one button naming its control, within the Block Kit limits, when the Slack app is on', () => {
    const { messages } = planAlerts(emptyAlertState(), results, now, policy({ recollectButton: true }));
    const stale = messages.find((m) => m.controls.includes('A.2.2'))!;
    expect(buttonsOf(stale.blocks)).toEqual([[recollectActionId, 'A.2.2']]);
    expect(blockProblems(stale.blocks)).toEqual([]);
    // Above the closing evaluation-time and footer contexts.
    expect(stale.blocks.slice(-2).map((b) => b.type)).toEqual(['context', 'context']);
    // A missing control has nothing to re-collect from: no button.
    expect(buttonsOf(messages.find((m) => m.controls.includes('A.2.4'))!.blocks)).toEqual([]);
  });

  it('a digest carries a button per stale control', () => {
    const three = [...results, result('A.3.2', 'stale')];
    const { messages } = planAlerts(emptyAlertState(), three, now, policy({ recollectButton: true, digest: true }));
    expect(messages).toHaveLength(1);
    expect(buttonsOf(messages[0]!.blocks)).toEqual([
      [recollectActionId, 'A.2.2'],
      [recollectActionId, 'A.3.2'],
    ]);
    expect(blockProblems(messages[0]!.blocks)).toEqual([]);
  });

  it('a digest longer than Slack allows keeps its buttons: the last controls are listed by id instead', () => {
    const many: ControlResult[] = Array.from({ length: 60 }, (_, i) => ({
      ...result('A.2.2', 'stale'),
      control: { id: `A.9.${i + 10}`, title: `Synthetic control ${i}`, group: 'A.9', groupTitle: 'Synthetic' },
    }));
    const { messages } = planAlerts(emptyAlertState(), many, now, policy({ recollectButton: true, digest: true }));
    const blocks = messages[0]!.blocks;
    expect(blockProblems(blocks)).toEqual([]);
    expect(blocks).toHaveLength(50);
    // Block Kit's 25 buttons per actions block, above the two closing contexts.
    expect(buttonsOf(blocks)).toHaveLength(25);
    expect(blocks.slice(-3).map((b) => b.type)).toEqual(['actions', 'context', 'context']);
    const more = blocks.at(-4)!;
    expect(more.type === 'section' && more.text.text).toMatch(/^…and \d+ more controls: /);
  });

  it('without the Slack app there is no button (nobody would answer it)', () => {
    const { messages } = planAlerts(emptyAlertState(), results, now, policy());
    expect(messages.flatMap((m) => buttonsOf(m.blocks))).toEqual([]);
  });

  it('the alert policy turns it on exactly when console.slack is configured', () => {
    const alerts = alertsConfigSchema.parse({ slack: { token: { env: 'X' }, defaultChannel: '#compliance' } });
    expect(alertPolicyWithConsole({ alerts, console: { slack: {} } }).recollectButton).toBe(true);
    expect(alertPolicyWithConsole({ alerts, console: {} }).recollectButton).toBeUndefined();
  });
});
