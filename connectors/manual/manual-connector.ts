import { stat } from 'node:fs/promises';
import path from 'node:path';
import { FolderConnector } from '../folder/folder-connector';
import type { CollectOptions, CollectionStep, Connector, ConnectorStats } from '../types';
import type { JsonValue } from '../../core/json';
import { isoDate, readSidecar, sidecarSuffix } from './layout';

export const manualCollector = 'manual@1.0.0';

export interface ManualSourceOptions {
  sourceId: string;
  root: string;
}

/**
 * Evidence only people can supply (training records, signed contract clauses, policy acknowledgements),
 * kept in a folder by topic (see layout.ts). Each file is a `record` whose `topic` comes from its sidecar,
 * its front matter or its top folder, and whose date is the sidecar's or front matter's effective date.
 * Walking, resuming and front-matter reading are the folder connector's.
 */
export class ManualConnector implements Connector {
  readonly type = 'manual';
  private readonly folder: FolderConnector;
  private readonly counters = { records: 0, withSidecar: 0, withoutTopic: 0 };
  private readonly issues: string[] = [];

  constructor(private readonly opts: ManualSourceOptions) {
    // Sidecars describe records and are not records; `.tmp` files are uploads in progress.
    this.folder = new FolderConnector({
      sourceId: opts.sourceId,
      root: opts.root,
      include: [],
      exclude: ['**/.*', '**/.*/**', `**/*${sidecarSuffix}`, '**/*.tmp'],
    });
  }

  async *collect(options: CollectOptions): AsyncIterable<CollectionStep> {
    const root = path.resolve(this.opts.root);
    // Nothing filed yet: `upload` creates the folder with the first record. Until then the controls these
    // records feed are `missing` (with the command to run), not a failed collection.
    if (!(await stat(root).catch(() => undefined))) {
      options.log.info({ source: this.opts.sourceId, root }, 'no manual records filed yet');
      return;
    }
    for await (const step of this.folder.collect(options)) {
      const { meta } = step.artifact;
      const rel = meta.externalId;
      const { sidecar, problem } = await readSidecar(path.join(root, ...rel.split('/')));
      if (problem) this.issues.push(problem);
      if (sidecar) this.counters.withSidecar++;
      const frontMatter = meta.attributes['frontMatter'];
      const fromFrontMatter =
        frontMatter && typeof frontMatter === 'object' && !Array.isArray(frontMatter)
          ? frontMatter['topic']
          : undefined;
      const topic =
        sidecar?.topic ??
        (typeof fromFrontMatter === 'string' ? fromFrontMatter : undefined) ??
        (rel.includes('/') ? rel.split('/')[0] : undefined);
      if (topic === undefined) {
        this.counters.withoutTopic++;
        this.issues.push(
          `${rel} has no topic, so no rule can use it: move it into a folder named after its topic (e.g. training/) or file it with evidence-hub upload --topic`,
        );
      }
      const effective = isoDate(sidecar?.effective_date);
      const uploadedAt = isoDate(sidecar?.uploaded_at);
      const attributes: Record<string, JsonValue> = {
        ...meta.attributes,
        ...(topic !== undefined ? { topic } : {}),
        ...(sidecar?.uploaded_by ? { uploadedBy: sidecar.uploaded_by } : {}),
        ...(uploadedAt ? { uploadedAt } : {}),
        ...(sidecar?.note ? { note: sidecar.note } : {}),
        ...(sidecar?.policy_version !== undefined ? { policyVersion: String(sidecar.policy_version) } : {}),
        ...(effective ? { observedAtFrom: 'sidecar:effective_date', dateSource: 'effective' } : {}),
      };
      this.counters.records++;
      yield {
        cursor: step.cursor,
        artifact: {
          ...step.artifact,
          meta: {
            ...meta,
            kind: 'record',
            observedAt: effective ?? meta.observedAt,
            attributes,
            provenance: { ...meta.provenance, collector: manualCollector },
          },
        },
      };
    }
  }

  stats(): ConnectorStats {
    return { ...this.counters };
  }

  problems(): string[] {
    return [...this.issues];
  }
}
