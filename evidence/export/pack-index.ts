import type { PackModel } from './model';

export const packFormat = 'evidence-hub/audit-pack@1';

/**
 * index.json: the pack for machines. Bundles and artifacts (with the controls each bundle mapped them to)
 * describe what the pack holds; `evaluation` is each selected control's status at the evaluation end, with
 * its cause as data (mappings/causes.ts) and as a sentence, and `timeline` its status at every evaluation point.
 */
export function packIndex(model: PackModel): string {
  const doc = {
    format: packFormat,
    generatedAt: model.generatedAt,
    window: model.window,
    ...(model.controlsGlob ? { controls: model.controlsGlob } : {}),
    framework: model.framework,
    mappingDigest: model.mappingDigest,
    segment: {
      ...model.segment,
      note: 'Only the bundles sealed inside the window are included. The first one links (previousDigest) to a manifest outside the pack; export.json names that digest so the segment verifies by itself. Compare it with the last manifest of the previous pack or of the live store.',
    },
    keys: model.keys.map((k) => ({
      keyId: k.keyId,
      algorithm: k.algorithm,
      validFrom: k.validFrom,
      ...(k.validUntil ? { validUntil: k.validUntil } : {}),
      pem: `keys/${k.keyId}.pem`,
    })),
    bundles: model.bundles,
    artifacts: model.artifacts,
    evaluation: {
      asOf: model.evaluatedAt,
      basis:
        'everything the store knew at that time, including evidence collected before the window (as `evidence-hub status --as-of`)',
      controls: model.controls.map((c) => ({
        id: c.id,
        title: c.title,
        group: c.group,
        status: c.result.status,
        cause: c.result.cause,
        reason: c.result.reason,
        ...(c.result.dueAt ? { dueAt: c.result.dueAt } : {}),
        ...(c.result.newest ? { newest: c.result.newest } : {}),
        decidedBy: c.decidedBy,
        evidenceInPack: c.evidence.length,
        rules: c.result.rules.map((r) => ({
          rule: r.rule,
          status: r.status,
          cause: r.cause,
          reason: r.reason,
          ...(r.dueAt ? { dueAt: r.dueAt } : {}),
        })),
        ...(c.result.informational
          ? { informational: c.result.informational.map((r) => ({ rule: r.rule, status: r.status, reason: r.reason })) }
          : {}),
        ...(c.justification !== undefined ? { justification: c.justification } : {}),
      })),
      // The management-system clauses, as evaluated at the same time (status --catalog clauses).
      clauses: model.clauses.map((c) => ({
        id: c.id,
        title: c.title,
        status: c.result.status,
        cause: c.result.cause,
        reason: c.result.reason,
        ...(c.result.decidingRule ? { decidingRule: c.result.decidingRule } : {}),
        ...(c.result.dueAt ? { dueAt: c.result.dueAt } : {}),
        evidence: c.result.evidence,
      })),
    },
    timeline: {
      points: model.points,
      controls: Object.fromEntries(model.controls.map((c) => [c.id, c.timeline.map((t) => t.status)])),
    },
    statementOfApplicability: model.soa,
    collectionFailures: model.failures,
    problems: model.problems,
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
