import { describe, expect, it } from 'vitest';
import { controlSectionText } from '../../alerts/blocks';
import {
  alertDetails,
  consoleControlUrl,
  decidingRecordId,
  ownerOf,
  recordIdsFor,
  safeHttpUrl,
  type DecidingRecord,
} from '../../alerts/details';
import { planAlerts } from '../../alerts/engine';
import { emptyAlertState } from '../../alerts/state';
import type { AlertPolicy } from '../../alerts/types';
import type { ControlResult, RuleResult } from '../../mappings/evaluate';

const DAY = 86_400_000;
const route = { channel: '#compliance', mention: '<!subteam^S0COMPL>' };
const doc = (attributes: Record<string, unknown>, url?: string): DecidingRecord => ({
  id: 'docs:policies/ai.md',
  attributes,
  ...(url !== undefined ? { url } : {}),
});

describe('alert link', () => {
  it('the console page when console.publicUrl is set, whatever the record has', () => {
    const d = alertDetails('A.6.2.8', doc({}, 'https://github.com/acme/api/pull/7'), route, {
      consoleUrl: 'https://evidence.example.com/hub/',
    });
    expect(d.link).toEqual({ url: 'https://evidence.example.com/hub/controls/A.6.2.8', label: 'console' });
    expect(consoleControlUrl('https://evidence.example.com', 'A.6.2.8')).toBe(
      'https://evidence.example.com/controls/A.6.2.8',
    );
  });

  it('a clause the console has no page for links its record, never a console page that answers 404', () => {
    const policy = { consoleUrl: 'https://evidence.example.com', consolePages: new Set(['A.6.2.8']) };
    expect(alertDetails('9.3', doc({}, 'https://wiki.example.com/mr-1'), route, policy).link).toEqual({
      url: 'https://wiki.example.com/mr-1',
      label: 'record',
    });
    expect(alertDetails('9.3', doc({}), route, policy).link).toBeUndefined();
    expect(alertDetails('A.6.2.8', doc({}), route, policy).link?.label).toBe('console');
  });

  it("else the record's own URL (attribute or record JSON), else no link at all", () => {
    expect(alertDetails('A.6.2.8', doc({}, 'https://github.com/acme/api/pull/7'), route, {}).link).toEqual({
      url: 'https://github.com/acme/api/pull/7',
      label: 'record',
    });
    expect(alertDetails('A.6.2.8', doc({ url: 'https://jira.example.com/browse/CR-1' }), route, {}).link?.url).toBe(
      'https://jira.example.com/browse/CR-1',
    );
    expect(alertDetails('A.6.2.8', doc({}), route, {}).link).toBeUndefined();
    expect(alertDetails('A.6.2.8', undefined, route, {}).link).toBeUndefined();
  });

  it('never a link that could be broken or hostile', () => {
    for (const bad of ['javascript:alert(1)', '/controls/A.2.2', 'not a url', 'ftp://files.example.com/x', 42])
      expect(safeHttpUrl(bad)).toBeUndefined();
    expect(safeHttpUrl(`https://x.example.com/${'a'.repeat(1200)}`)).toBeUndefined();
    expect(alertDetails('A.2.2', doc({ url: 'javascript:alert(1)' }), route, {}).link).toBeUndefined();
    // A pipe or angle bracket would end a Slack link early: encoded in the section text.
    const text = controlSectionText(
      {
        id: 'A.2.2',
        title: 'AI policy',
        status: 'stale',
        reason: 'stale',
        evidenceCount: 1,
        link: { url: 'https://x.example.com/a|b?c=1&d=2', label: 'record' },
      },
      new Date(),
    );
    expect(text).toContain('<https://x.example.com/a%7Cb?c=1&amp;d=2|Open the record>');
  });
});

describe('alert owner', () => {
  it("the document's owner:, mentioned when it is a Slack id or listed in alerts.slack.owners", () => {
    const owners = { 'jane.doe@example.com': '<@U0JANE001>' };
    expect(ownerOf(doc({ frontMatter: { owner: 'jane.doe@example.com' } }), route, owners)).toEqual({
      name: 'jane.doe@example.com',
      mention: '<@U0JANE001>',
    });
    expect(ownerOf(doc({ frontMatter: { owner: 'U0BOB0001' } }), route)).toEqual({
      name: 'U0BOB0001',
      mention: '<@U0BOB0001>',
    });
    expect(ownerOf(doc({ frontMatter: { owner: '<@U0BOB0001>' } }), route)).toMatchObject({ mention: '<@U0BOB0001>' });
    // Unknown to Slack: shown by name, no mention (and escaped when rendered).
    expect(ownerOf(doc({ frontMatter: { owner: 'Head of <ML>' } }), route)).toEqual({ name: 'Head of <ML>' });
    expect(ownerOf(doc({ frontMatter: { owner: ['Ann', 'Bo'] } }), route)).toEqual({ name: 'Ann, Bo' });
    // A name that is an inherited object property is no Slack user.
    expect(ownerOf(doc({ frontMatter: { owner: 'constructor' } }), route, owners)).toEqual({ name: 'constructor' });
  });

  it('else the route of the control; none without either', () => {
    expect(ownerOf(doc({ frontMatter: { title: 'x' } }), route)).toEqual({
      name: '<!subteam^S0COMPL>',
      mention: '<!subteam^S0COMPL>',
    });
    expect(ownerOf(undefined, { channel: '#c' })).toBeUndefined();
  });

  it('a plain owner name is escaped in Slack text; a mention is not', () => {
    const line = { id: 'A.2.2', title: 'AI policy', status: 'stale' as const, reason: 'r', evidenceCount: 1 };
    expect(controlSectionText({ ...line, owner: { name: 'Head of <ML>' } }, new Date())).toContain(
      '*Owner:* Head of &lt;ML&gt;',
    );
    expect(controlSectionText({ ...line, owner: { name: 'x', mention: '<@U0JANE001>' } }, new Date())).toContain(
      '*Owner:* <@U0JANE001>',
    );
  });
});

const due = (rule: string, currentUntil: string): RuleResult => ({
  rule,
  status: 'due-soon',
  cause: {
    kind: 'due-soon',
    deciding: { id: `docs:${rule}.md`, observedAt: '2025-03-01T00:00:00.000Z', count: 1, dateKind: 'effective' },
    maxAge: { ms: 365 * DAY, text: '365d' },
    warnBefore: { ms: 14 * DAY, text: '14d' },
    currentUntil,
    staleAt: currentUntil,
  },
  reason: `${rule} is due soon`,
  dueAt: currentUntil,
  evidence: [`docs:${rule}.md`],
});

const missingRule: RuleResult = {
  rule: 'concern-register',
  status: 'missing',
  cause: { kind: 'needs-upload', rule: 'concern-register', uploadTopics: ['concern-register'] },
  reason: 'no concern register',
  evidence: [],
};

function a33(procedure: RuleResult): ControlResult {
  return {
    control: { id: 'A.3.3', title: 'Reporting of concerns', group: 'A.3', groupTitle: 'Internal organization' },
    status: 'missing',
    cause: { kind: 'rule', rule: 'concern-register', rules: 2, cause: missingRule.cause },
    reason: 'no concern register',
    decidingRule: 'concern-register',
    evidence: procedure.evidence,
    rules: [missingRule, procedure],
  };
}

describe('the due-soon notice of a rule the control status hides', () => {
  const policy: AlertPolicy = {
    defaultChannel: '#compliance',
    routes: [],
    digest: false,
    reminderEveryMs: 7 * DAY,
    dueSoonNotice: true,
    consoleUrl: 'https://evidence.example.com',
  };
  const t0 = new Date('2026-02-20T09:00:00Z');

  it('announced once per warning window, with the rule, its next step and its record', () => {
    const records = new Map([['docs:concern-procedure.md', doc({ frontMatter: { owner: 'U0ANN0001' } })]]);
    const first = planAlerts(
      emptyAlertState(),
      [a33(due('concern-procedure', '2026-03-05T00:00:00.000Z'))],
      t0,
      policy,
      records,
    );
    const notices = first.messages.filter((m) => m.items.some((i) => i.rule === 'concern-procedure'));
    expect(notices).toHaveLength(1);
    const text = JSON.stringify(notices[0]!.blocks);
    expect(text).toContain('its rule *concern-procedure* is *');
    expect(text).toContain('*Next step:* refresh concern-procedure before 2026-03-05');
    expect(text).toContain('*Owner:* <@U0ANN0001>');
    expect(text).toContain('<https://evidence.example.com/controls/A.3.3|Open in the evidence console>');
    // The control's own alert (missing) is there too, with its own next step.
    expect(JSON.stringify(first.messages)).toContain('upload the 2026 concern-register record');

    // The next day: nothing new about the window (the missing control is not reminded yet either).
    const next = planAlerts(
      first.next,
      [a33(due('concern-procedure', '2026-03-05T00:00:00.000Z'))],
      new Date(t0.getTime() + DAY),
      policy,
    );
    expect(next.messages).toEqual([]);
    expect(next.next.controls['A.3.3']?.warned).toHaveLength(1);

    // A new procedure record, due soon again a year later: a new window, a new notice.
    const later = planAlerts(
      next.next,
      [a33(due('concern-procedure', '2027-03-05T00:00:00.000Z'))],
      new Date('2027-02-20T09:00:00Z'),
      policy,
    );
    expect(later.messages.filter((m) => m.items.some((i) => i.rule === 'concern-procedure'))).toHaveLength(1);
  });

  it('not for the deciding rule (the control itself is due soon), and not with dueSoonNotice off', () => {
    const procedure = due('concern-procedure', '2026-03-05T00:00:00.000Z');
    const own: ControlResult = {
      ...a33(procedure),
      status: 'due-soon',
      decidingRule: 'concern-procedure',
      rules: [procedure],
    };
    const plan = planAlerts(emptyAlertState(), [own], t0, policy);
    expect(plan.messages).toHaveLength(1);
    expect(plan.messages[0]!.items[0]!.rule).toBeUndefined();
    expect(
      planAlerts(emptyAlertState(), [a33(procedure)], t0, { ...policy, dueSoonNotice: false }).messages.some((m) =>
        m.items.some((i) => i.rule !== undefined),
      ),
    ).toBe(false);
  });

  it('recordIdsFor: the deciding record of each control posted about and of its due-soon rules', () => {
    const r = a33(due('concern-procedure', '2026-03-05T00:00:00.000Z'));
    expect(recordIdsFor([r], new Set(['A.3.3']))).toEqual(['docs:concern-procedure.md']);
    expect(recordIdsFor([r], new Set(['A.2.2']))).toEqual([]);
    expect(decidingRecordId({ cause: { kind: 'unmapped' } })).toBeUndefined();
  });
});
