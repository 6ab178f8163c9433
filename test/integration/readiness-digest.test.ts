import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadClauseCatalog } from '../../mappings/catalog';
import { collectedSignal } from '../../workflows/monitor';
import type { FakeSlackMessage } from '../fakes/slack-server';
import { hubIn, signingKey } from '../support/hub-fixture';
import { monitoredHubYaml, monitorSuite, runMonitor, soaOnly } from '../support/monitor-fixture';
import { writeBundle } from '../support/store-fixture';
import { tempDir } from '../support/tmp';

const DAY = 86_400_000;
const ymd = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const suite = monitorSuite({ token: 'xoxb-digest-token', channels: [{ id: 'C0AUDIT01', name: 'audit' }] });

/**
 * In scope: A.6.2.6 (drift reports, 45 days) and A.2.2 (policy, a year); the clauses from the policy too,
 * except 9.3 (management review minutes, 45 days like the drift reports); two audits 60 and 100 days ahead.
 */
async function auditedHub(queue: string, t0: number) {
  const inScope = new Set(['A.6.2.6', 'A.2.2']);
  const clauses = loadClauseCatalog()
    .controls.map((c) => c.id)
    .filter((id) => id !== '9.3');
  process.env['EH_TEST_DIGEST_TOKEN'] = 'xoxb-digest-token';
  return hubIn(
    await tempDir(),
    monitoredHubYaml(
      queue,
      { url: suite.slack.url, tokenEnv: 'EH_TEST_DIGEST_TOKEN', defaultChannel: 'C0AUDIT01' },
      {
        rest: [
          'console: { publicUrl: "https://evidence.example.com" }',
          'audits:',
          '  digestDaysBefore: [30, 14, 3]',
          '  calendar:',
          `    - { id: surv-a, type: surveillance, date: "${ymd(t0 + 60 * DAY)}", certificationBody: Example Cert }`,
          `    - { id: surv-b, type: surveillance, date: "${ymd(t0 + 100 * DAY)}", certificationBody: Example Cert }`,
        ],
      },
    ),
    {
      'm.yaml': [
        'rules:',
        '  - id: drift-reports',
        '    controls: [A.6.2.6]',
        '    select: { source: folder, where: { path: { glob: "monitoring/**" } } }',
        '    freshness: 45d',
        '  - id: ai-policy-review',
        '    controls: [A.2.2]',
        '    select: { source: folder, where: { path: { glob: "policies/**" } } }',
        '    freshness: 365d',
        '  - id: ms-documents',
        `    controls: ${JSON.stringify(clauses)}`,
        '    select: { source: folder, where: { path: { glob: "policies/**" } } }',
        '    freshness: 365d',
        '  - id: management-review',
        '    controls: ["9.3"]',
        '    select: { source: folder, where: { path: { glob: "reviews/**" } } }',
        '    freshness: 45d',
        '',
      ].join('\n'),
      'soa.yaml': soaOnly(inScope, 'out of scope for this digest test case'),
    },
  );
}

const isDigest = (m: FakeSlackMessage) => JSON.stringify(m.blocks ?? m.text).includes('Audit readiness');

describe('readiness digest on the staleness monitor', () => {
  it('posts at 30, 14 and 3 days before each audit exactly the controls and clauses not ready on the day, nothing when all are', async () => {
    const queue = `digest-${randomBytes(4).toString('hex')}`;
    const env = suite.env;
    const t0 = await env.currentTimeMs();
    const { hub } = await auditedHub(queue, t0);
    const key = await signingKey(hub);
    await writeBundle(
      hub.store,
      key,
      hub.mappings,
      'b0',
      { 'monitoring/drift-1.md': 'drift 1', 'policies/ai-policy.md': 'policy', 'reviews/mr-1.md': 'minutes 1' },
      new Date(t0),
      { attributes: { 'monitoring/drift-1.md': { frontMatter: { owner: 'U0DRIFT01' } } } },
    );
    const before = suite.slack.messages.length;
    /** Digests posted so far, after each stretch of skipped time. */
    const counts: number[] = [];
    const collect = () => counts.push(suite.slack.messages.slice(before).filter(isDigest).length);

    await runMonitor(env, hub, key, queue, async (handle) => {
      // Surv-a's 30-day digest (day 30-31): the drift report is current now and goes stale on day 45.
      await env.sleep(33 * DAY);
      collect();
      // Day 33: a new drift report, current until day 78: every control ready for surv-a, not for surv-b.
      await writeBundle(
        hub.store,
        key,
        hub.mappings,
        'b1',
        { 'monitoring/drift-2.md': 'drift 2', 'reviews/mr-2.md': 'minutes 2' },
        new Date(await env.currentTimeMs()),
        { attributes: { 'monitoring/drift-2.md': { frontMatter: { owner: 'maria@example.com' } } } },
      );
      await handle.signal(collectedSignal);
      await env.sleep(30 * DAY); // past surv-a: its 14- and 3-day digests have nothing to say
      collect();
      await env.sleep(40 * DAY); // surv-b: 30 (refresh), 14 and 3 days (stale already)
      collect();
    });

    const digests = suite.slack.messages.slice(before).filter(isDigest);
    expect(digests).toHaveLength(4);
    expect(digests.every((m) => m.channel === 'C0AUDIT01')).toBe(true);
    const texts = digests.map((m) => JSON.stringify(m.blocks));
    expect(texts[0]).toContain('surv-a');
    for (const t of texts.slice(1)) expect(t).toContain('surv-b');
    // Exactly the control that will not be ready: never the policy, current through both audits.
    // The management review (clause 9.3) likewise, never the clauses the policy keeps current.
    for (const t of texts) {
      expect(t).toContain('A.6.2.6');
      expect(t).not.toContain('A.2.2');
      expect(t).toContain('*9.3*');
      expect(t).not.toContain('*9.2*');
      expect(t).toContain('2 control(s) and clause(s) will be stale or missing');
    }
    expect(texts[0]).toContain('refresh management-review');
    expect(texts[0]).toContain('refresh drift-reports');
    expect(texts[1]).toContain('refresh drift-reports');
    expect(texts[2]).toContain('Not ready today either');
    expect(texts[3]).toContain('Not ready today either');
    // Each line says what to do (from the forecast and the cause), whose it is (the deciding document's
    // owner:, a mention when it is a Slack id) and where to look (the console page).
    const link = '<https://evidence.example.com/controls/A.6.2.6|Open in the evidence console>';
    expect(texts[0]).toContain(`*Next step:* refresh drift-reports before ${ymd(t0 + 45 * DAY)}`);
    expect(texts[0]).toContain('*Owner:* <@U0DRIFT01>');
    expect(texts[1]).toContain(`*Next step:* refresh drift-reports before ${ymd(t0 + 78 * DAY)}`);
    expect(texts[1]).toContain('*Owner:* maria@example.com');
    for (const t of texts.slice(2)) expect(t).toContain('*Next step:* refresh drift-reports now: it was due by');
    for (const t of texts) expect(t).toContain(link);
    // Surv-a's 30-day digest by day 33, none for its 14 and 3 days (all ready), then surv-b's three.
    expect(counts).toEqual([1, 1, 4]);
    const meta = digests.map((m) => (m.metadata as { event_payload: { key: string } }).event_payload.key);
    expect(meta).toEqual([
      'readiness-digest:surv-a:30d',
      'readiness-digest:surv-b:30d',
      'readiness-digest:surv-b:14d',
      'readiness-digest:surv-b:3d',
    ]);
  });
});
