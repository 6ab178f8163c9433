import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { FakeGithub } from '../fakes/github-server';
import type { FakeSlackMessage } from '../fakes/slack-server';
import { hubIn, quietLog, signingKey } from '../support/hub-fixture';
import { monitoredHubYaml, monitorSuite, runMonitor, soaOnly } from '../support/monitor-fixture';
import { writeBundle } from '../support/store-fixture';
import { tempDir } from '../support/tmp';

/**
 * Issue 17, item 6: every alert says where to look (the console page), whose it is (the document's owner, a
 * Slack mention) and what to do next (from the structured cause), and a rule without grace gets a due-soon
 * notice even when its control's status hides it. Real worker, time-skipping server, Slack and GitHub fakes.
 */

const DAY = 86_400_000;
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);
/** The GitHub token of the failing source: wrong, so the fake answers 401; it must never reach Slack. */
const GH_SECRET = 'ghp_WRONGsecretVALUE0123456789abcdef';
const suite = monitorSuite({ token: 'xoxb-act-token', channels: [{ id: 'C0OWNERS1', name: 'owners' }] });
let github: FakeGithub;

beforeAll(async () => {
  github = await FakeGithub.start();
});

afterAll(async () => {
  await github?.close();
});

/**
 * In scope: A.6.2.6 (drift reports, 40 days, no grace), A.3.3 (a concern procedure, 40 days, no grace, and a
 * Jira concern register never collected: the control reads missing) and A.6.2.8 (GitHub records, from a
 * source whose token is wrong).
 */
async function ownedHub(queue: string) {
  const inScope = new Set(['A.6.2.6', 'A.3.3', 'A.6.2.8']);
  process.env['EH_ACT_SLACK_TOKEN'] = 'xoxb-act-token';
  process.env['EH_ACT_GH_TOKEN'] = GH_SECRET;
  return hubIn(
    await tempDir(),
    monitoredHubYaml(
      queue,
      { url: suite.slack.url, tokenEnv: 'EH_ACT_SLACK_TOKEN', defaultChannel: 'C0OWNERS1' },
      {
        sources: [
          `  - { id: gh, type: github, baseUrl: "${github.baseUrl}", auth: { token: { env: EH_ACT_GH_TOKEN } }, orgs: [{ name: acme }] }`,
        ],
        slack: [
          '    defaultMention: "<!subteam^S0COMPL>"',
          '    digest: false',
          '    owners: { "jane.doe@example.com": "<@U0JANE001>" }',
        ],
        rest: ['console: { publicUrl: "https://evidence.example.com/hub/" }'],
      },
    ),
    {
      'm.yaml': [
        'rules:',
        '  - id: drift-reports',
        '    controls: [A.6.2.6]',
        '    select: { source: folder, where: { path: { glob: "monitoring/**" } } }',
        '    freshness: 40d',
        '  - id: concern-procedure',
        '    controls: [A.3.3]',
        '    select: { source: folder, where: { path: { glob: "policies/**" } } }',
        '    freshness: 40d',
        '  - id: concern-register',
        '    controls: [A.3.3]',
        '    select: { source: jira, kind: concern }',
        '    freshness: 365d',
        '  - id: repository-records',
        '    controls: [A.6.2.8]',
        '    select: { source: github }',
        '    freshness: 30d',
        '',
      ].join('\n'),
      'soa.yaml': soaOnly(inScope, 'out of scope for this alert test case'),
    },
  );
}

const text = (m: FakeSlackMessage) => JSON.stringify(m.blocks ?? m.text);

describe('alerts a control owner can act on', () => {
  it('link, owner and next step on every alert; a hidden warning window announced once; no secret', async () => {
    const queue = `act-${randomBytes(4).toString('hex')}`;
    const { hub } = await ownedHub(queue);
    const key = await signingKey(hub);
    const env = suite.env;
    const t0 = await env.currentTimeMs();

    // The GitHub source's real failure: its collector against the fake with the wrong token.
    const activities = createActivities({ ...hub, key, log: quietLog });
    const failure = await activities.collectSource({ bundleId: 'b0', source: 'gh' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(ApplicationFailure);
    const { type, message } = failure as ApplicationFailure;
    expect(type).toBe('CredentialsError');

    await writeBundle(
      hub.store,
      key,
      hub.mappings,
      'b0',
      { 'monitoring/drift.md': 'drift report', 'policies/concerns.md': 'how to report a concern' },
      new Date(t0),
      {
        attributes: { 'monitoring/drift.md': { frontMatter: { owner: 'jane.doe@example.com' } } },
        extraOutcomes: [
          {
            source: 'gh',
            sourceType: 'github',
            status: 'failed',
            artifactCount: 0,
            error: { type: type ?? 'Error', message },
          },
        ],
      },
    );
    const before = suite.slack.messages.length;
    await runMonitor(env, hub, key, queue, () => env.sleep(45 * DAY));
    const sent = suite.slack.messages.slice(before).filter((m) => !m.thread_ts);
    const texts = sent.map(text);
    const consoleLink = (id: string) =>
      `<https://evidence.example.com/hub/controls/${id}|Open in the evidence console>`;

    // Nothing posted carries the failing source's token.
    for (const m of suite.slack.messages.slice(before)) expect(JSON.stringify(m)).not.toContain(GH_SECRET);

    // The collection failure: what to do is decided by the error class, not read out of its message.
    const failed = texts.find((t) => t.includes('Collection failed') && t.includes('A.6.2.8'));
    expect(failed).toBeDefined();
    expect(failed).toContain('*Next step:* re-run the gh collector: token expired, revoked or missing a scope');
    expect(failed).toContain(consoleLink('A.6.2.8'));
    expect(failed).toContain('*Owner:* <!subteam^S0COMPL>'); // no document: the route's mention

    // A.6.2.6 without grace: due soon in the last 10 days (a quarter of 40d), then stale on day 40.
    const dueSoon = texts.filter((t) => t.includes('Evidence due soon') && t.includes('A.6.2.6'));
    expect(dueSoon).toHaveLength(1);
    expect(dueSoon[0]).toContain(`*Next step:* refresh drift-reports before ${ymd(t0 + 40 * DAY)}`);
    expect(dueSoon[0]).toContain('*Owner:* <@U0JANE001>'); // the document's owner:, known to Slack
    expect(dueSoon[0]).toContain(consoleLink('A.6.2.6'));
    const stale = texts.find((t) => t.includes('Evidence stale') && t.includes('A.6.2.6'));
    expect(stale).toContain(`*Next step:* refresh drift-reports now: it was due by ${ymd(t0 + 40 * DAY)}`);
    expect(texts.indexOf(dueSoon[0]!)).toBeLessThan(texts.indexOf(stale!));

    // A.3.3 reads missing (its concern register was never recorded), which hides its procedure's warning
    // window and even its going stale: the window is announced anyway, once.
    const hidden = texts.filter((t) => t.includes('A.3.3') && t.includes('Evidence due soon'));
    expect(hidden).toHaveLength(1);
    expect(hidden[0]).toContain('its rule *concern-procedure* is *');
    expect(hidden[0]).toContain(`*Next step:* refresh concern-procedure before ${ymd(t0 + 40 * DAY)}`);
    expect(hidden[0]).toContain(consoleLink('A.3.3'));
    expect(hidden[0]).toContain('*A.3.3* reads *missing*');
  });
});
