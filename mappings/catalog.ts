import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { dataPath } from '../core/data-files';

/**
 * The control catalog is data (mappings/catalog/*.json), never code: a second framework is a second file.
 * Crosswalk tags say where a control lines up with another framework, and whether a public source
 * supports that or it is our own proposal.
 */
const crosswalkSchema = z.strictObject({
  framework: z.enum(['nist-ai-rmf-1.0', 'eu-ai-act', 'iso27001-2022']),
  ref: z.string().min(1),
  basis: z.enum(['public', 'proposed']),
  source: z.string().optional(),
  /** A link that holds only in part or indirectly (docs/crosswalks.md, "Weak links"): read it as a lead, not a match. */
  strength: z.literal('weak').optional(),
  /** Why the link is weak. */
  note: z.string().min(1).optional(),
});

/** Annex A control ids (A.6.2.6), or management-system clause ids (6.1.2, 10.2). */
const controlId = /^([A-Z]+(\.\d+)+|\d+(\.\d+)+)$/;

const controlSchema = z.strictObject({
  id: z.string().regex(controlId),
  title: z.string().min(1),
  group: z.string().min(1),
  groupTitle: z.string().min(1),
  /** The sub-group inside the group (A.6.1, A.6.2), where the catalog has one. */
  subgroup: z.string().regex(controlId).optional(),
  subgroupTitle: z.string().min(1).optional(),
  crosswalk: z.array(crosswalkSchema).optional(),
});

export const catalogSchema = z.strictObject({
  format: z.literal('evidence-hub/catalog@1'),
  framework: z.strictObject({
    id: z.string().regex(/^[a-z0-9-]+$/),
    title: z.string(),
    catalogVersion: z.string(),
    note: z.string().optional(),
  }),
  controls: z.array(controlSchema).min(1),
});

export type Catalog = z.infer<typeof catalogSchema>;
export type Control = z.infer<typeof controlSchema>;

export const defaultCatalogPath = dataPath('mappings', 'catalog', 'iso42001-2023.json');

/**
 * The management-system clauses (4.1 to 10.2) as a second catalog: what surveillance auditors always
 * sample besides Annex A. Mapping rules target clause ids with the same rule language; status, the HTML
 * report and the audit pack show them as their own group, while the SoA and OSCAL stay Annex A only
 * (a clause cannot be excluded, and OSCAL's catalog is Annex A).
 */
export const defaultClauseCatalogPath = dataPath('mappings', 'catalog', 'iso42001-2023-clauses.json');

/** The two catalogs a status can show: `status --catalog annex-a|clauses|all`. */
export const catalogNames = ['annex-a', 'clauses'] as const;
export type CatalogName = (typeof catalogNames)[number];

export function loadClauseCatalog(file = defaultClauseCatalogPath): Catalog {
  return loadCatalog(file);
}

export function loadCatalog(file = defaultCatalogPath): Catalog {
  const parsed = catalogSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success) {
    throw new Error(
      `${file}: invalid catalog: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const ids = new Set<string>();
  for (const c of parsed.data.controls) {
    if (ids.has(c.id)) throw new Error(`${file}: duplicate control id ${c.id}`);
    ids.add(c.id);
  }
  return parsed.data;
}

/** Closest known ids by edit distance, for "did you mean" hints. */
export function closestIds(id: string, known: Iterable<string>, max = 1): string[] {
  const scored = [...known].map((k) => ({ k, d: editDistance(id.toUpperCase(), k.toUpperCase()) }));
  scored.sort((a, b) => a.d - b.d || a.k.localeCompare(b.k));
  const limit = Math.max(2, Math.floor(id.length / 3));
  return scored
    .filter((s) => s.d <= limit)
    .slice(0, max)
    .map((s) => s.k);
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
