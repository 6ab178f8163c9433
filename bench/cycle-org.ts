// The simulated organisation of bench/cycle.ts: about 20,000 artifacts over the source types the default
// pack maps (pull requests, workflow runs, Jira tickets, documents, model versions, SIEM summaries), of
// which 1% change a day. Deterministic (a fixed linear congruential sequence), so runs are comparable.
import type { ArtifactRecord } from '../evidence/manifest';

const shares: [source: string, sourceType: string, kind: string, weight: number][] = [
  ['github', 'github', 'pull-request', 0.4],
  ['github', 'github', 'workflow-run', 0.1],
  ['siem', 'siem', 'event-counts', 0.15],
  ['jira', 'jira', 'incident', 0.05],
  ['jira', 'jira', 'change-request', 0.05],
  ['jira', 'jira', 'impact-assessment', 0.03],
  ['jira', 'jira', 'concern', 0.02],
  ['mlflow', 'mlflow', 'model-version', 0.1],
  ['docs', 'folder', 'document', 0.1],
];
const folders = ['policies', 'registers', 'monitoring', 'validation', 'model-cards', 'impact-assessments', 'adr'];

export interface OrgArtifact {
  index: number;
  source: string;
  sourceType: string;
  kind: string;
  externalId: string;
  /** How many times it changed; its content is a function of (index, version). */
  version: number;
  observedAt: string;
  /** The record of its current version, once its blob was written. */
  record?: ArtifactRecord;
}

export class Org {
  readonly artifacts: OrgArtifact[] = [];
  private seed = 20261206;

  constructor(
    readonly size: number,
    start: Date,
  ) {
    const cumulative: number[] = [];
    shares.reduce((acc, s) => (cumulative.push(acc + s[3]), acc + s[3]), 0);
    for (let i = 0; i < size; i++) {
      const r = ((i * 2654435761) % 1000003) / 1000003;
      const [source, sourceType, kind] =
        shares[
          Math.max(
            0,
            cumulative.findIndex((c) => r < c),
          )
        ] ?? shares[0]!;
      this.artifacts.push({
        index: i,
        source,
        sourceType,
        kind,
        externalId: `${kind}/${i}`,
        version: 0,
        observedAt: start.toISOString(),
      });
    }
  }

  private next(): number {
    this.seed = (Math.imul(this.seed, 1103515245) + 12345) >>> 0;
    return this.seed;
  }

  /** Changes `count` distinct artifacts at `at`; returns them. */
  change(count: number, at: Date): OrgArtifact[] {
    const picked = new Set<number>();
    while (picked.size < Math.min(count, this.size)) picked.add(this.next() % this.size);
    return [...picked].map((i) => {
      const a = this.artifacts[i]!;
      a.version++;
      a.observedAt = at.toISOString();
      return a;
    });
  }

  /** The artifact's content at its version: JSON of 300 to 2,300 bytes, as an API answer would be. */
  content(a: OrgArtifact): Buffer {
    const length = 300 + ((a.index * 7919 + a.version * 104729) % 2000);
    const body = {
      id: a.externalId,
      kind: a.kind,
      version: a.version,
      observedAt: a.observedAt,
      text: '',
    };
    const base = JSON.stringify(body).length;
    body.text = `${a.externalId}@${a.version} `
      .repeat(Math.ceil(Math.max(0, length - base) / 16))
      .slice(0, Math.max(0, length - base));
    return Buffer.from(JSON.stringify(body));
  }

  attributes(a: OrgArtifact): Record<string, string | number | boolean | Record<string, string>> {
    const i = a.index;
    switch (a.sourceType) {
      case 'github':
        return { repository: `acme/repo-${i % 50}`, merged: true, approvals: 1 + (i % 2), number: i };
      case 'jira':
        return { key: `K-${i}`, statusCategory: i % 4 === 0 ? 'indeterminate' : 'done', project: 'RISK' };
      case 'folder':
        return {
          path: `${folders[i % folders.length]}/doc-${i}.md`,
          frontMatter: { type: i % 7 === 0 ? 'ai-policy' : 'note' },
        };
      case 'mlflow':
        return { model: `model-${i % 25}`, version: String(a.version + 1), stage: 'Production' };
      default:
        return { topic: i % 100 === 0 ? 'training' : 'other', events: i % 1000 };
    }
  }
}
