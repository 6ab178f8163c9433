import { z } from 'zod';
import { durationHint, parseDuration } from '../core/duration';

/**
 * The mapping file format: which artifacts are evidence for which controls, and how recent they must be.
 * Written for compliance leads: plain YAML, every field named for what it means.
 */
const duration = z
  .string()
  .refine((s) => parseDuration(s) !== undefined, { message: `not a duration; ${durationHint}` });

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const dateOrNumber = z.union([z.number(), z.string()]);

/** One test on one attribute value. A bare scalar means equality. */
export const predicateSchema = z.union([
  scalar,
  z
    .strictObject({
      eq: scalar.optional(),
      ne: scalar.optional(),
      in: z.array(scalar).min(1).optional(),
      glob: z.string().min(1).optional(),
      regex: z.string().min(1).optional(),
      gt: dateOrNumber.optional(),
      gte: dateOrNumber.optional(),
      lt: dateOrNumber.optional(),
      lte: dateOrNumber.optional(),
      exists: z.boolean().optional(),
    })
    .refine((p) => Object.keys(p).length > 0, {
      message: 'empty predicate; use one of eq, ne, in, glob, regex, gt, gte, lt, lte, exists',
    }),
]);
export type Predicate = z.infer<typeof predicateSchema>;

/** Attribute tests, combined with all/any/not. Keys are dotted attribute paths such as `frontMatter.owner`. */
export type Where = { all: Where[] } | { any: Where[] } | { not: Where } | { [attributePath: string]: Predicate };

export const whereSchema: z.ZodType<Where> = z.lazy(() =>
  z.union([
    z.strictObject({ all: z.array(whereSchema).min(1) }),
    z.strictObject({ any: z.array(whereSchema).min(1) }),
    z.strictObject({ not: whereSchema }),
    z.record(
      z.string().regex(/^(?!all$|any$|not$)[A-Za-z0-9_@$-]+(\.[A-Za-z0-9_@$-]+)*$/, 'not an attribute path'),
      predicateSchema,
    ),
  ]),
);

export const selectorSchema = z.strictObject({
  /** Source type (`folder`, `github`, ...). */
  source: z.string().min(1),
  /** Restrict to one configured source id when several sources share a type. */
  sourceId: z.string().min(1).optional(),
  kind: z.string().min(1).optional(),
  where: whereSchema.optional(),
});
export type Selector = z.infer<typeof selectorSchema>;

const maxAgeFreshness = z.strictObject({ maxAge: duration, grace: duration.optional() });
/**
 * Per change: every change artifact (e.g. a production model version) observed inside `window` needs its
 * own evidence record, matched on `key` (an attribute present on both).
 */
const perChangeFreshness = z.strictObject({
  perChange: z.strictObject({
    changes: z.union([selectorSchema, z.array(selectorSchema).min(1)]),
    /** The attribute (or attributes, joined) present on both the change and its record. */
    key: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /**
     * The record's attribute(s) holding the key's values when the record names them differently (an impact
     * assessment's `frontMatter.system` for a model version's `model`); dotted paths allowed.
     */
    recordKey: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
    window: duration.default('365d'),
    /**
     * The change's own start time attribute (`created`, `openedAt`): grace counts from it, and a record
     * that came after the grace is late. Without it, from the first time the change was observed.
     */
    from: z.string().min(1).optional(),
    /**
     * The change's own due date attribute (a corrective action's `customFields.dueDate`, a document's
     * `frontMatter.due`): where the change's newest version has one, its record is owed by that day
     * instead of by `from` + grace.
     */
    due: z.string().min(1).optional(),
  }),
  grace: duration.optional(),
});

export const freshnessSchema = z.union([duration, maxAgeFreshness, perChangeFreshness]);

/** A control or clause id. YAML reads an unquoted clause id (9.2) as a number, and 10.10 as 10.1: refuse it. */
const controlIdSchema = z
  .string({
    error: (issue) =>
      typeof issue.input === 'number'
        ? `a number (${issue.input}), not an id: quote clause ids, e.g. ['9.2']`
        : undefined,
  })
  .min(1);
/**
 * How a record names its AI system under `per: aiSystem`: an attribute (`frontMatter.system`), a tag of
 * a registered model or object (`tags.<tag>`), or a path pattern whose `{system}` segment is the name.
 */
export const systemFromSchema = z.union([
  z.strictObject({ attribute: z.string().min(1) }),
  z.strictObject({ tag: z.string().min(1) }),
  z.strictObject({
    pathPattern: z.string().refine((p) => /(^|\/)\{system\}(\/|$)/.test(p) && p.split('{system}').length === 2, {
      message: 'a path pattern names {system} once, as a whole path segment, e.g. "assessments/{system}/**"',
    }),
  }),
]);

export const ruleSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'rule ids are lowercase words joined by "-"'),
  description: z.string().optional(),
  controls: z.array(controlIdSchema).min(1),
  /** design: the control exists (a policy, a configuration). operating: the control ran (records over time). */
  evidence: z.enum(['design', 'operating']).default('operating'),
  /** Several selectors are alternatives: any one of them supplies evidence. */
  select: z.union([selectorSchema, z.array(selectorSchema).min(1)]),
  freshness: freshnessSchema,
  /**
   * The warning window before a max-age rule's evidence is due again: inside it the rule is `due-soon`.
   * Default: the file's `warnBefore`, else 14 days or a quarter of the max age, whichever is smaller.
   */
  warnBefore: duration.optional(),
  minCount: z.number().int().positive().default(1),
  /**
   * `aiSystem`: the max age applies to every AI system of the inventory (`aiSystems:` in the config) on
   * its own; each record names its system as `systemFrom` says. Without an inventory the rule is an
   * ordinary max-age rule. Only with a max-age freshness.
   */
  per: z.literal('aiSystem').optional(),
  systemFrom: systemFromSchema.optional(),
  /**
   * A signal shown on the control (status --json, the audit pack's control page) that never decides its
   * status: related facts that do not show the control operates (Dependabot settings on A.4.4).
   */
  informational: z.boolean().default(false),
  /**
   * The rule's records name a version of what another rule decides (acknowledgements of the AI policy):
   * `attribute` of this rule's deciding record must equal `of` of the other `rule`'s deciding record.
   * A difference makes the rule stale, naming both versions.
   */
  /**
   * What every surveillance audit reviews since the previous audit: `readiness` lists the records this
   * rule selects that are dated inside the observation window, under this heading.
   */
  sinceLastAudit: z.enum(['nonconformities', 'complaints', 'changes']).optional(),
  sameVersion: z
    .strictObject({
      rule: z.string().min(1),
      attribute: z.string().min(1),
      of: z.string().min(1),
    })
    .optional(),
});

/** Adds alternative selectors to a rule from an earlier file (a connector pack adding its source). */
export const extendSchema = z.strictObject({
  rule: z.string().min(1),
  select: z.union([selectorSchema, z.array(selectorSchema).min(1)]),
});

export const mappingFileSchema = z.strictObject({
  /** The warning window of every rule in this file that sets none (see the rule's `warnBefore`). */
  warnBefore: duration.optional(),
  rules: z.array(ruleSchema).default([]),
  extend: z.array(extendSchema).default([]),
  /** Rule ids from earlier files to drop entirely. */
  remove: z.array(z.string()).default([]),
});

export type RawRule = z.infer<typeof ruleSchema>;
export type MappingFile = z.infer<typeof mappingFileSchema>;

const isoDay = z.string().refine((v) => /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)), {
  message: 'not a date; write it as YYYY-MM-DD',
});

export const soaFileSchema = z.strictObject({
  /** The SoA's version as the organisation numbers it (shown on every not-applicable row). */
  version: z.union([z.string().min(1), z.number()]).optional(),
  /** Who approved this version of the SoA, and when (YYYY-MM-DD). */
  approvedBy: z.string().min(1).optional(),
  approvedOn: isoDay.optional(),
  notApplicable: z
    .array(
      z.strictObject({
        control: z.string().min(1),
        justification: z.string().min(20, 'auditors expect a real justification (at least 20 characters)'),
      }),
    )
    .default([]),
});
