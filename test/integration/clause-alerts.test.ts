import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadClauseCatalog } from '../../mappings/catalog';
import { hubIn, signingKey } from '../support/hub-fixture';
import { monitoredHubYaml, monitorSuite, runMonitor, soaOnly } from '../support/monitor-fixture';
import { writeBundle } from '../support/store-fixture';
import { tempDir } from '../support/tmp';

const DAY = 86_400_000;
const suite = monitorSuite({
  token: 'xoxb-clause-token',
  channels: [
    { id: 'C0AIOPS02', name: 'ai-ops' },
    { id: 'C0MGMT001', name: 'management' },
  ],
});

/**
 * A.6.2.6 in scope (a year's freshness: never alerts here); every clause mapped, all but 9.3 to a policy
 * current for a year, 9.3 (management review) to minutes that must be at most 30 days old. Clause 9 routes
 * to its own channel, as a control group would.
 */
async function clauseHub(queue: string) {
  const clauses = loadClauseCatalog()
    .controls.map((c) => c.id)
    .filter((id) => id !== '9.3');
  process.env['EH_TEST_CLAUSE_TOKEN'] = 'xoxb-clause-token';
  return hubIn(
    await tempDir(),
    monitoredHubYaml(
      queue,
      { url: suite.slack.url, tokenEnv: 'EH_TEST_CLAUSE_TOKEN', defaultChannel: 'C0AIOPS02' },
      {
        slack: ['    routes:', '      - { match: "9", channel: C0MGMT001, mention: "<!subteam^S0MGMT01>" }'],
        rest: ['console: { publicUrl: "https://evidence.example.com" }'],
      },
    ),
    {
      'm.yaml': [
        'rules:',
        '  - id: drift-reports',
        '    controls: [A.6.2.6]',
        '    select: { source: folder, where: { path: { glob: "monitoring/**" } } }',
        '    freshness: 365d',
        '  - id: ms-documents',
        `    controls: ${JSON.stringify(clauses)}`,
        '    select: { source: folder, where: { path: { glob: "policies/**" } } }',
        '    freshness: 365d',
        '  - id: management-review',
        '    controls: ["9.3"]',
        '    select: { source: folder, where: { path: { glob: "reviews/**" } } }',
        '    freshness: { maxAge: 30d, grace: 5d }',
        '',
      ].join('\n'),
      'soa.yaml': soaOnly(['A.6.2.6'], 'out of scope for this clause alert test case'),
    },
  );
}

describe('staleness monitor on management-system clauses', () => {
  it('alerts a clause going stale like a control, routed by its clause group, linking no console page', async () => {
    const queue = `clauses-${randomBytes(4).toString('hex')}`;
    const { hub } = await clauseHub(queue);
    const env = suite.env;
    const t0 = await env.currentTimeMs();
    const key = await signingKey(hub);
    await writeBundle(
      hub.store,
      key,
      hub.mappings,
      'b0',
      { 'monitoring/drift.md': 'drift', 'policies/aims.md': 'aims', 'reviews/mr-1.md': 'minutes' },
      new Date(t0),
      { attributes: { 'reviews/mr-1.md': { url: 'https://wiki.example.com/mr-1' } } },
    );
    const before = suite.slack.messages.length;
    await runMonitor(env, hub, key, queue, () => env.sleep(45 * DAY));

    const sent = suite.slack.messages.slice(before);
    const text = (m: (typeof sent)[number]) => JSON.stringify(m.blocks ?? m.text);
    expect(sent.length).toBeGreaterThan(0);
    // Only the management review alerts: the control and the other clauses stay current all along.
    for (const m of sent) {
      expect(m.channel).toBe('C0MGMT001');
      expect(text(m)).toContain('*9.3*');
      expect(text(m)).toContain('S0MGMT01');
      expect(text(m)).not.toContain('A.6.2.6');
      expect(text(m)).not.toContain('*9.2*');
      // The console has no clause pages: the alert links the minutes themselves.
      expect(text(m)).not.toContain('/controls/9.3');
      expect(text(m)).toContain('https://wiki.example.com/mr-1');
    }
    expect(sent.some((m) => /stale/i.test(text(m)))).toBe(true);
  });
});
