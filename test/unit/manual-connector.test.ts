import { readFile, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileRecord, RecordError } from '../../connectors/manual/layout';
import { ManualConnector } from '../../connectors/manual/manual-connector';
import type { CollectionStep } from '../../connectors/types';
import { main } from '../../cli/main';
import { evaluate, type IndexedArtifact } from '../../mappings/evaluate';
import { expandMappingPaths, loadMappings } from '../../mappings/load';
import { createLogger } from '../../worker/logger';
import { tempDir, writeTree } from '../support/tmp';
import { mappingVocabulary } from '../../connectors';

const log = createLogger({ level: 'silent' });

async function collect(root: string): Promise<{ steps: CollectionStep[]; connector: ManualConnector }> {
  const connector = new ManualConnector({ sourceId: 'records', root });
  const steps: CollectionStep[] = [];
  for await (const s of connector.collect({ log })) steps.push(s);
  return { steps, connector };
}

describe('manual evidence: filing records', () => {
  it('files a copy under <topic>/<effective>-<name> with a sidecar; the same bytes again are a no-op, other bytes are refused', async () => {
    const root = await tempDir();
    const src = await tempDir();
    await writeTree(src, {
      'lms-export.csv': 'name,course,completed\nAda,AI literacy,2026-09-30\n',
      'other.csv': 'different\n',
    });
    const req = {
      root,
      file: path.join(src, 'lms-export.csv'),
      topic: 'training',
      effective: '2026-09-30',
      uploadedBy: 'grace',
      uploadedAt: new Date('2026-10-01T08:00:00Z'),
      note: 'Q3 LMS export',
    };
    const first = await fileRecord(req);
    expect(first).toMatchObject({ kind: 'filed', path: path.join(root, 'training', '2026-09-30-lms-export.csv') });
    expect(await readFile(first.path, 'utf8')).toContain('Ada,AI literacy');
    expect(await readFile(`${first.path}.meta.yaml`, 'utf8')).toBe(
      `topic: training\neffective_date: 2026-09-30\nuploaded_by: grace\nuploaded_at: 2026-10-01T08:00:00.000Z\nnote: Q3 LMS export\nsha256: ${first.sha256}\n`,
    );
    expect(await fileRecord(req)).toMatchObject({ kind: 'already-filed', sha256: first.sha256 });
    await writeFile(path.join(src, 'lms-export.csv'), 'tampered\n');
    await expect(fileRecord(req)).rejects.toThrow(
      /already exists with different content; evidence is never overwritten/,
    );
    await expect(fileRecord({ ...req, topic: 'Training Records' })).rejects.toBeInstanceOf(RecordError);
  });
});

describe('manual connector', () => {
  it('yields records with topic, effective date and who filed them; sidecars and uploads in progress are not records', async () => {
    const root = await tempDir();
    const src = await tempDir();
    await writeTree(src, { 'signed.pdf': '%PDF-1.4 fake' });
    await fileRecord({
      root,
      file: path.join(src, 'signed.pdf'),
      topic: 'contract-clauses',
      effective: '2026-03-15',
      uploadedBy: 'legal',
      uploadedAt: new Date('2026-03-16T00:00:00Z'),
    });
    await writeTree(root, {
      'training/roster.md': '---\neffective_date: 2026-06-01\n---\n# Roster\n',
      'acks/2026.md': '---\ntopic: policy-acknowledgement\n---\n# Acks\n',
      'training/upload.csv.123.tmp': 'half',
      'loose.txt': 'no topic',
    });
    const mtime = new Date('2026-01-01T00:00:00Z');
    await utimes(path.join(root, 'loose.txt'), mtime, mtime);
    const { steps, connector } = await collect(root);
    const metas = steps.map((s) => s.artifact.meta);
    expect(metas.map((m) => [m.externalId, m.kind, m.attributes['topic'], m.observedAt])).toEqual([
      ['acks/2026.md', 'record', 'policy-acknowledgement', expect.any(String)],
      ['contract-clauses/2026-03-15-signed.pdf', 'record', 'contract-clauses', '2026-03-15T00:00:00.000Z'],
      ['loose.txt', 'record', undefined, '2026-01-01T00:00:00.000Z'],
      ['training/roster.md', 'record', 'training', '2026-06-01T00:00:00.000Z'],
    ]);
    expect(metas[1]!.attributes).toMatchObject({
      uploadedBy: 'legal',
      uploadedAt: '2026-03-16T00:00:00.000Z',
      observedAtFrom: 'sidecar:effective_date',
    });
    expect(metas[1]!.provenance.collector).toBe('manual@1.0.0');
    expect(connector.problems()).toEqual([expect.stringMatching(/^loose\.txt has no topic, so no rule can use it/)]);
    expect(connector.stats()).toEqual({ records: 4, withSidecar: 1, withoutTopic: 1 });
  });

  it('a folder that does not exist yet means no records filed yet, not a failed collection', async () => {
    const { steps, connector } = await collect(path.join(await tempDir(), 'records'));
    expect(steps).toEqual([]);
    expect(connector.problems()).toEqual([]);
  });

  it('a sidecar that is not valid YAML or names a bad date shape is reported, and the record still counts', async () => {
    const root = await tempDir();
    await writeTree(root, {
      'training/a.csv': 'x',
      'training/a.csv.meta.yaml': 'topic: [unclosed',
      'training/b.csv': 'y',
      'training/b.csv.meta.yaml': 'sha256: nope\n',
    });
    const { steps, connector } = await collect(root);
    expect(steps.map((s) => s.artifact.meta.attributes['topic'])).toEqual(['training', 'training']);
    expect(connector.problems()).toEqual([
      expect.stringMatching(/^a\.csv\.meta\.yaml is not valid YAML/),
      expect.stringMatching(/^b\.csv\.meta\.yaml: sha256: /),
    ]);
  });

  it('an acknowledgement filed with its policy version carries it as policyVersion', async () => {
    const root = await tempDir();
    const src = await tempDir();
    await writeTree(src, { 'acks.csv': 'employee,version\nE-1,2026.1\n' });
    const filed = await fileRecord({
      root,
      file: path.join(src, 'acks.csv'),
      topic: 'policy-acknowledgement',
      effective: '2026-03-02',
      uploadedBy: 'grace',
      uploadedAt: new Date('2026-03-03T08:00:00Z'),
      policyVersion: '2026.1',
    });
    expect(await readFile(`${filed.path}.meta.yaml`, 'utf8')).toContain('policy_version: "2026.1"\n');
    const { steps } = await collect(root);
    expect(steps[0]!.artifact.meta.attributes).toMatchObject({ policyVersion: '2026.1', dateSource: 'effective' });
  });

  it("with the default mappings, a filed training record turns A.4.6's training rule from missing to current", async () => {
    const root = await tempDir();
    const src = await tempDir();
    await writeTree(src, { 'lms.csv': 'done\n' });
    const mappings = await loadMappings(
      expandMappingPaths(['default'], '/', mappingVocabulary(), new Set(['folder', 'manual'])),
      mappingVocabulary(),
    );
    const now = new Date('2026-11-23T00:00:00Z');
    const status = async () => {
      const { steps } = await collect(root);
      const artifacts: IndexedArtifact[] = steps.map((s, i) => ({
        id: `records:${s.artifact.meta.externalId}`,
        source: 'records',
        sourceType: 'manual',
        kind: s.artifact.meta.kind,
        attributes: s.artifact.meta.attributes,
        observedAt: Date.parse(s.artifact.meta.observedAt),
        collectedAt: now.getTime() - 1000,
        sha256: String(i).padStart(64, '0'),
      }));
      return evaluate({ artifacts, sourceRuns: [], mappings, notApplicable: [], now }).find(
        (r) => r.control.id === 'A.4.6',
      )!;
    };
    const training = async () => (await status()).rules.find((r) => r.rule === 'training-records')!;
    expect(await training()).toMatchObject({
      status: 'missing',
      reason:
        'needs a manual upload: Training and competence records of people in AI roles (HR/LMS export) (evidence-hub upload FILE --topic training)',
    });
    await fileRecord({
      root,
      file: path.join(src, 'lms.csv'),
      topic: 'training',
      effective: '2026-09-30',
      uploadedBy: 'grace',
      uploadedAt: now,
    });
    expect(await training()).toMatchObject({
      status: 'current',
      reason:
        'newest evidence records:training/2026-09-30-lms.csv effective 2026-09-30, current until 2027-09-30 (max age 365d)',
    });
  });
});

describe('evidence-hub upload', () => {
  async function setup(sources: string) {
    const dir = await tempDir();
    await writeTree(dir, {
      'evidence-hub.yaml': `version: 1\nstore: { path: ./store }\nsigning: { key: { file: ./k.pem } }\nsources:\n${sources}`,
      'lms.csv': 'done\n',
    });
    const out: string[] = [];
    const err: string[] = [];
    const run = (...args: string[]) =>
      main(['upload', '--config', path.join(dir, 'evidence-hub.yaml'), ...args], {
        out: (s) => out.push(s),
        err: (s) => err.push(s),
      });
    return { dir, out, err, run };
  }

  it('files into the manual source and says how to seal it; a misspelt topic gets a suggestion and files nothing', async () => {
    const { dir, out, err, run } = await setup('  - { id: records, type: manual, path: ./records }\n');
    expect(await run(path.join(dir, 'lms.csv'), '--topic', 'trainig')).toBe(2);
    expect(err.join('\n')).toContain('no mapping rule reads manual records of topic "trainig"; did you mean training?');
    expect(await run(path.join(dir, 'lms.csv'), '--topic', 'training', '--date', '2999-01-01')).toBe(2);
    expect(err.join('\n')).toContain('--date 2999-01-01 is in the future');
    expect(await run(path.join(dir, 'lms.csv'), '--topic', 'training', '--date', '2026-09-30', '--by', 'grace')).toBe(
      0,
    );
    expect(out.join('\n')).toMatch(
      /filed: .*records\/training\/2026-09-30-lms\.csv \(topic training, effective 2026-09-30, sha256 [0-9a-f]{12}…\)/,
    );
    expect(out.at(-1)).toBe(
      'the next sweep of "records" seals it; to seal now: evidence-hub sweep --sources records --wait',
    );
    expect(await readFile(path.join(dir, 'records', 'training', '2026-09-30-lms.csv.meta.yaml'), 'utf8')).toContain(
      'uploaded_by: grace',
    );
  });

  it('without a manual source, says how to configure one', async () => {
    const { dir, err, run } = await setup('  - { id: docs, type: folder, path: ./docs }\n');
    expect(await run(path.join(dir, 'lms.csv'), '--topic', 'training')).toBe(2);
    expect(err.join('\n')).toContain(
      'configures no manual source; add one under sources, e.g. "- { id: records, type: manual, path: ./records }"',
    );
  });
});
