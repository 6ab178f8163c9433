import { describe, expect, it } from 'vitest';
import { evaluate, type IndexedArtifact } from '../../mappings/evaluate';
import type { AiSystemInventory } from '../../mappings/ai-systems';
import { DAY, ago, artifact, document, now, pack, runsOf } from '../support/default-pack';

/** The default pack's impact assessment rules with and without an AI system inventory (issue 17 item 3). */

const assessment = (system: string, days: number) =>
  document(`impact-assessments/${system}.md`, ago(days), {
    type: 'impact-assessment',
    effective_date: new Date(ago(days)).toISOString().slice(0, 10),
    system,
    impacts: ['individuals', 'societal'],
  });
const inventory: AiSystemInventory = {
  register: [
    { id: 'chat-assistant', origin: 'r:2' },
    { id: 'route-optimizer', origin: 'r:3' },
  ],
  grace: { ms: 30 * DAY, text: '30d' },
};

async function controls(artifacts: IndexedArtifact[], configured: string[], aiSystems?: AiSystemInventory) {
  const loaded = await pack(...configured);
  const mappings = aiSystems ? { ...loaded, aiSystems } : loaded;
  return evaluate({ artifacts, sourceRuns: runsOf(...configured), mappings, notApplicable: [], now: new Date(now) });
}

describe('default pack: impact assessments per AI system', () => {
  const docs = [assessment('route-optimizer', 400), assessment('chat-assistant', 10)];

  it('without aiSystems: the newest assessment decides, as before', async () => {
    const results = await controls(docs, ['folder']);
    for (const id of ['A.5.3', 'A.5.4', 'A.5.5'])
      expect(results.find((r) => r.control.id === id)!.status, id).toBe('current');
  });

  it('with aiSystems: A.5.3, A.5.4 and A.5.5 are stale, naming the system whose assessment is old', async () => {
    const results = await controls(docs, ['folder'], inventory);
    for (const id of ['A.5.3', 'A.5.4', 'A.5.5']) {
      const c = results.find((r) => r.control.id === id)!;
      expect(c.status, id).toBe('stale');
      expect(c.reason, id).toContain('stale for route-optimizer (400d old)');
    }
  });

  it('with MLflow too: the before-deployment rule keeps working next to the per-system rule', async () => {
    const version = artifact('mlflow', 'model-version', ago(5), {
      model: 'credit',
      modelVersion: 'credit/1',
      production: true,
      tags: {},
    });
    const results = await controls([...docs, version], ['folder', 'mlflow'], inventory);
    const a53 = results.find((r) => r.control.id === 'A.5.3')!;
    expect(a53.rules.map((r) => [r.rule, r.status])).toEqual([
      ['impact-assessment-records', 'stale'],
      ['mlflow-production-impact-assessment', 'missing'],
    ]);
    expect(a53.status).toBe('missing');
  });
});
