import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { decidingRuleCause } from '../../mappings/causes';
import { dueLabel } from '../../mappings/due';
import type { ControlResult } from '../../mappings/evaluate';
import { buildPackModel, type ExportHub, type PackModel, type PackWindowOptions } from './model';

/**
 * OSCAL 1.1.2 `assessment-results` for a pack: one result spanning the window, one observation per evidence
 * item (an artifact version recorded by a bundle in the window), one finding per applicable control.
 *
 * - `import-ap` is required by OSCAL, but evidence-hub keeps no assessment plan: it points at a back-matter
 *   resource that says so (a placeholder the assessor replaces with their plan).
 * - The reviewed controls are one selection: every control in scope under `include-controls`, and those the
 *   Statement of Applicability excludes under its `exclude-controls` (they get no finding). An exclusion-only
 *   selection is invalid under OSCAL 1.2 and the 1.1 model (only the 1.1 JSON schema let it through).
 * - `relevant-evidence` hrefs are relative to the document: inside the pack (`oscal/`) they are `../blobs/..`.
 * - Every blob is a back-matter resource whose rlink carries its SHA-256, so the link can be checked.
 * - UUIDs are derived from content (name-based, version 5 layout), so re-exporting the same window gives the
 *   same observation and finding ids.
 */
export const oscalVersion = '1.1.2';
export const oscalInPack = 'oscal/assessment-results.json';
/**
 * The namespace of every evidence-hub prop. OSCAL asks for a URI naming the authority; an https URI, because
 * compliance-trestle's model (and so tools built on it) rejects a `urn:`. Kept here only.
 */
export const oscalNamespace = 'https://github.com/evidence-hub/ns';
const ns = oscalNamespace;

export interface OscalOptions {
  /** Prefix that turns a pack path (`blobs/sha256/..`) into an href from where the document sits. */
  hrefBase?: string;
}

type Json = Record<string, unknown>;

export function buildOscal(model: PackModel, options: OscalOptions = {}): Json {
  const base = options.hrefBase ?? '../';
  const seed = `${model.window.from}/${model.window.to}/${model.controlsGlob ?? '*'}/${model.segment.fromSequence}/${model.segment.headDigest ?? ''}`;
  const applicable = model.controls.filter((c) => c.result.status !== 'not-applicable');
  const excluded = model.controls.filter((c) => c.result.status === 'not-applicable');

  const resourceId = new Map<string, string>();
  const resources: Json[] = [];
  const planId = uuid('assessment-plan-placeholder', seed);
  resources.push({
    uuid: planId,
    title: 'Assessment plan (placeholder)',
    description:
      'evidence-hub does not produce an OSCAL assessment plan. import-ap points here because OSCAL requires it; replace this reference with the assessment plan of the certification audit.',
    props: [{ name: 'type', value: 'plan' }],
  });

  const observations: Json[] = [];
  const observationsOf = new Map<string, string[]>();
  const relevant = new Set(applicable.map((c) => c.id));
  for (const a of model.artifacts) {
    const controls = a.controls.filter((c) => relevant.has(c));
    if (controls.length === 0) continue;
    const obsId = uuid('observation', a.id, a.observedAt, a.sha256);
    for (const c of controls) observationsOf.set(c, [...(observationsOf.get(c) ?? []), obsId]);
    let resId = resourceId.get(a.sha256);
    if (!resId) {
      resId = uuid('blob', a.sha256);
      resourceId.set(a.sha256, resId);
      resources.push({
        uuid: resId,
        title: `Evidence blob ${a.sha256.slice(0, 12)}`,
        description: `Content-addressed evidence bytes (${a.size} bytes, ${a.mediaType}).`,
        ...(a.state === 'present'
          ? {}
          : {
              remarks:
                a.state === 'pruned'
                  ? 'Deleted by retention; a signed tombstone is in the pack.'
                  : 'Missing from the store at export time.',
            }),
        rlinks: [
          { href: `${base}${a.blob}`, 'media-type': a.mediaType, hashes: [{ algorithm: 'SHA-256', value: a.sha256 }] },
        ],
      });
    }
    observations.push({
      uuid: obsId,
      title: a.id,
      description: `${a.kind} "${a.externalId}" from source ${a.source} (${a.sourceType}), observed ${a.observedAt}, recorded by bundle(s) ${a.bundles.map((b) => `#${b}`).join(', ')}.`,
      props: [
        ...controls.map((c) => ({ name: 'control-id', ns, value: c })),
        { name: 'observed', ns, value: a.observedAt },
        { name: 'source', ns, value: a.source },
        { name: 'bundle', ns, value: a.bundles.join(' ') },
      ],
      methods: ['EXAMINE'],
      types: ['control-objective'],
      'relevant-evidence': [
        {
          href: `${base}${a.blob}`,
          description: `${a.id} (sha256 ${a.sha256})`,
          links: [{ href: `#${resId}`, rel: 'reference' }],
        },
      ],
      collected: a.collectedAt,
      ...(a.expires ? { expires: a.expires } : {}),
    });
  }

  const findings = applicable.map((c) => {
    const related = observationsOf.get(c.id) ?? [];
    return {
      uuid: uuid('finding', seed, c.id),
      title: `${c.id} ${c.title}`,
      description: c.result.reason,
      props: [
        { name: 'evidence-status', ns, value: c.result.status },
        ...(c.result.decidingRule ? [{ name: 'deciding-rule', ns, value: c.result.decidingRule }] : []),
        // DUE's one meaning (mappings/due.ts): when the deciding rule's evidence goes, or went, stale.
        ...(c.result.dueAt
          ? [{ name: 'due', ns, value: c.result.dueAt, class: dueLabel(c.result)!.replace(/ /g, '-') }]
          : []),
        ...failedSourceProps(c.result),
      ],
      target: {
        type: 'objective-id',
        'target-id': c.id,
        status: { ...findingState(c.result), remarks: c.result.reason },
      },
      ...(related.length > 0 ? { 'related-observations': related.map((u) => ({ 'observation-uuid': u })) } : {}),
    };
  });

  // One selection, so the excluded set always sits inside an included one (see the header). A pack always
  // has a control in scope: buildPackModel refuses a --controls glob that matches none.
  const selection: Json = {
    description:
      excluded.length > 0
        ? `${model.framework.title} controls in scope of this export; those not applicable according to the Statement of Applicability are excluded.`
        : `${model.framework.title} controls in scope of this export.`,
    'include-controls': model.controls.map((c) => ({ 'control-id': c.id })),
    ...(excluded.length > 0
      ? {
          'exclude-controls': excluded.map((c) => ({ 'control-id': c.id })),
          // The reason names the SoA version and approval next to the justification (reasons.ts).
          remarks: excluded.map((c) => `${c.id}: ${c.result.reason}`).join('\n'),
        }
      : {}),
  };

  const result: Json = {
    uuid: uuid('result', seed),
    title: `${model.framework.title} evidence, ${model.window.from.slice(0, 10)} to ${model.window.to.slice(0, 10)}`,
    description: `Status of each control at ${model.evaluatedAt}, judged by evidence-hub from signed evidence bundles #${model.segment.fromSequence}${model.segment.toSequence !== undefined ? ` to #${model.segment.toSequence}` : ''} and everything collected before them.`,
    start: model.window.from,
    end: model.window.to,
    props: [
      { name: 'first-bundle', ns, value: String(model.segment.fromSequence) },
      ...(model.segment.toSequence !== undefined
        ? [{ name: 'last-bundle', ns, value: String(model.segment.toSequence) }]
        : []),
      { name: 'mapping-digest', ns, value: model.mappingDigest },
    ],
    'reviewed-controls': {
      'control-selections': [selection],
    },
    ...(observations.length > 0 ? { observations } : {}),
    ...(findings.length > 0 ? { findings } : {}),
  };

  return {
    'assessment-results': {
      uuid: uuid('assessment-results', seed, model.generatedAt),
      metadata: {
        title: `${model.framework.title} audit pack ${model.window.from.slice(0, 10)} to ${model.window.to.slice(0, 10)}`,
        'last-modified': model.generatedAt,
        version: model.generatedAt,
        'oscal-version': oscalVersion,
        props: [{ name: 'generator', ns, value: 'evidence-hub' }],
      },
      'import-ap': {
        href: `#${planId}`,
        remarks: 'Placeholder: evidence-hub keeps no assessment plan; see the referenced back-matter resource.',
      },
      results: [result],
      'back-matter': { resources },
    },
  };
}

/** For a failed collection: which source, so an assessor can match the finding to the failure. */
function failedSourceProps(r: ControlResult): Json[] {
  const cause = decidingRuleCause(r.cause);
  if (cause?.kind !== 'collection-failed') return [];
  // Every failing source, each with the end of its failed run (props pair up in order).
  return cause.sources.flatMap((f) => [
    { name: 'failed-source', ns, value: f.source },
    { name: 'failed-source-at', ns, value: f.at },
  ]);
}

/**
 * Only current evidence satisfies the objective: `current` and `due-soon` (inside the max age; a
 * control whose rules ask for operating evidence is never current on a design document alone, that is
 * `design-only`), never an exception. Everything else is `not-satisfied`: `fail` where the evidence
 * shows a gap (overdue, stale, missing, exception, design only, unverified), `other` where the hub
 * cannot judge (a failed collection, no change to judge, no source configured). The finding's remarks
 * carry the reason sentence either way.
 */
export function findingState(r: Pick<ControlResult, 'status'>): {
  state: 'satisfied' | 'not-satisfied';
  reason: 'pass' | 'fail' | 'other';
} {
  switch (r.status) {
    case 'current':
    case 'due-soon':
      return { state: 'satisfied', reason: 'pass' };
    case 'collection-failed':
    case 'not-exercised':
    case 'not-configured':
      return { state: 'not-satisfied', reason: 'other' };
    case 'overdue':
    case 'stale':
    case 'missing':
    case 'exception':
    case 'design-only':
    case 'unverified':
    case 'not-applicable':
      return { state: 'not-satisfied', reason: 'fail' };
  }
}

/** A name-based UUID with the version-5 layout (SHA-1 of the parts), as OSCAL's UUID pattern requires. */
export function uuid(...parts: string[]): string {
  const h = createHash('sha1')
    .update(`evidence-hub/oscal\u0000${parts.join('\u0000')}`)
    .digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function oscalJson(model: PackModel, options: OscalOptions = {}): string {
  return JSON.stringify(buildOscal(model, options), null, 2) + '\n';
}

/**
 * The OSCAL document on its own, without an archive. Its evidence hrefs are relative to `hrefBase`
 * (default: none, i.e. the document is meant to sit at the root of an extracted pack or store).
 */
export async function exportOscal(
  hub: ExportHub,
  options: PackWindowOptions & { out: string; hrefBase?: string },
): Promise<{ out: string; observations: number; findings: number }> {
  const { model } = await buildPackModel(hub, options);
  const doc = buildOscal(model, { hrefBase: options.hrefBase ?? '' });
  const out = path.resolve(options.out);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, JSON.stringify(doc, null, 2) + '\n');
  const result = (doc['assessment-results'] as { results: { observations?: unknown[]; findings?: unknown[] }[] })
    .results[0]!;
  return { out, observations: result.observations?.length ?? 0, findings: result.findings?.length ?? 0 };
}
