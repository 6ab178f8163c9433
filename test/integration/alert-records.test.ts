import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { decidingRecords } from '../../activities/alert-records';
import { sealBundle } from '../../evidence/bundle';
import { artifactId, type ArtifactRecord } from '../../evidence/manifest';
import { hubIn, quietLog, signingKey } from '../support/hub-fixture';
import { tempDir } from '../support/tmp';

/**
 * The deciding records behind an alert's link and owner, read from a real filesystem store: a connector's
 * JSON record gives its `url`; a file (a document, even a JSON one with a `url` in it) is never read for one.
 */
describe('deciding records for alerts', () => {
  it('attributes from the index, the URL from JSON records only, unknown ids left out', async () => {
    const { hub } = await hubIn(
      await tempDir(),
      [
        'version: 1',
        'store: { path: ./store }',
        'signing: { key: { file: ./k.pem } }',
        'sources:',
        '  - { id: docs, type: folder, path: ./org }',
        '',
      ].join('\n'),
    );
    const key = await signingKey(hub);
    const at = '2026-05-01T00:00:00.000Z';
    const stage = async (source: string, sourceType: string, externalId: string, body: unknown, attributes = {}) => {
      const staging = await hub.store.openStaging('b1', source, 0);
      const blob = await hub.store.putBlob(Readable.from([Buffer.from(JSON.stringify(body))]));
      const record: ArtifactRecord = {
        id: artifactId(source, externalId),
        source,
        sourceType,
        kind: sourceType === 'github' ? 'pull-request' : 'document',
        externalId,
        observedAt: at,
        collectedAt: at,
        sha256: blob.sha256,
        size: blob.size,
        mediaType: 'application/json',
        attributes,
        provenance: { endpoint: 'test', collector: 'test@1' },
      };
      await staging.append(record);
      await staging.close();
    };
    await stage('gh', 'github', 'acme/api#7', { number: 7, url: 'https://github.com/acme/api/pull/7' });
    await stage(
      'docs',
      'folder',
      'registers/systems.json',
      { url: 'https://not-the-evidence.example.com' },
      {
        frontMatter: { owner: 'jane@example.com' },
      },
    );
    await sealBundle(
      hub.store,
      key,
      hub.mappings,
      {
        bundleId: 'b1',
        startedAt: at,
        trigger: { type: 'manual', workflowId: 'b1', runId: 'r' },
        outcomes: [
          { source: 'gh', sourceType: 'github', status: 'ok', artifactCount: 1 },
          { source: 'docs', sourceType: 'folder', status: 'ok', artifactCount: 1 },
        ],
      },
      () => new Date(at),
    );

    const records = await decidingRecords(
      hub.store,
      ['gh:acme/api#7', 'docs:registers/systems.json', 'gh:acme/api#404'],
      quietLog,
    );
    expect([...records.keys()].sort()).toEqual(['docs:registers/systems.json', 'gh:acme/api#7']);
    expect(records.get('gh:acme/api#7')?.url).toBe('https://github.com/acme/api/pull/7');
    expect(records.get('docs:registers/systems.json')).toEqual({
      id: 'docs:registers/systems.json',
      attributes: { frontMatter: { owner: 'jane@example.com' } },
    });
    expect(await decidingRecords(hub.store, [], quietLog)).toEqual(new Map());
  });
});
