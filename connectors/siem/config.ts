import { z } from 'zod';
import { s3ConnectionShape } from '../s3/config';
import { sourceIdSchema } from '../source-id';
import { parseTimestamp } from './timestamps';

/**
 * Configuration of a `siem` source: a location holding exported event logs of AI systems (Splunk,
 * Elastic/OpenSearch, CEF, OCSF or generic JSON lines), and how to read and summarise them.
 * Written to sit in `sources:` of evidence-hub.yaml next to the `folder` source.
 */

/** Formats a file can be read as. `auto` (the default) sniffs each file's first bytes. */
export const siemFormats = [
  'splunk-json',
  'splunk-csv',
  'elastic-ndjson',
  'elastic-search',
  'cef',
  'ocsf',
  'json',
] as const;
export type SiemFormat = (typeof siemFormats)[number];

/** Field groups: which `fields:` entry applies to a format. */
export const fieldGroups = ['splunk', 'elastic', 'cef', 'ocsf', 'json'] as const;
export type FieldGroup = (typeof fieldGroups)[number];

export const formatFieldGroup: Record<SiemFormat, FieldGroup> = {
  'splunk-json': 'splunk',
  'splunk-csv': 'splunk',
  'elastic-ndjson': 'elastic',
  'elastic-search': 'elastic',
  cef: 'cef',
  ocsf: 'ocsf',
  json: 'json',
};

/** Normalised severities, lowest first. Rules compare on this scale whatever the source format. */
export const severityNames = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type SeverityName = (typeof severityNames)[number];

const fieldList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

/**
 * Where to find each event property, per field group. A name is a key (`host`, or a flattened
 * `host.name`) or a dotted path into nested objects. Several names are tried in order.
 */
const fieldNamesSchema = z.strictObject({
  time: fieldList.optional(),
  system: fieldList.optional(),
  severity: fieldList.optional(),
  name: fieldList.optional(),
  signatureId: fieldList.optional(),
});
export type FieldNames = z.infer<typeof fieldNamesSchema>;

const dateSchema = z.string().refine((s) => !Number.isNaN(parseTimestamp(s)), {
  message: 'not a date; use e.g. 2026-01-31 or 2026-01-31T12:00:00Z (UTC unless an offset is given)',
});

const regexSchema = z
  .string()
  .min(1)
  .superRefine((s, ctx) => {
    try {
      new RegExp(s, 'iu');
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `bad regular expression: ${(err as Error).message}` });
    }
  });

/** Conditions on one event; all that are given must hold. */
const eventMatchShape = {
  /** Normalised severity at least this. */
  minSeverity: z.enum(severityNames).optional(),
  /** Event/rule/signature names, compared case-insensitively. */
  names: z.array(z.string().min(1)).min(1).optional(),
  /** Regular expression (JavaScript, case-insensitive) on the event name. */
  nameRegex: regexSchema.optional(),
  /** Signature ids (CEF Signature ID, Splunk signature_id, ECS rule.id, ...). */
  signatureIds: z
    .array(z.union([z.string().min(1), z.number()]))
    .min(1)
    .optional(),
  /** OCSF class_uid values. */
  classUids: z.array(z.number().int()).min(1).optional(),
  /** Only events of these systems. */
  systems: z.array(z.string().min(1)).min(1).optional(),
};

const matchKeys = Object.keys(eventMatchShape);
const hasCondition = (r: object) => matchKeys.some((k) => (r as Record<string, unknown>)[k] !== undefined);
const noConditionMessage = `give at least one condition: ${matchKeys.join(', ')}`;

const incidentRuleSchema = z
  .strictObject({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'rule ids are lowercase words joined by "-"'),
    ...eventMatchShape,
  })
  .refine(hasCondition, { message: noConditionMessage });
export type IncidentRuleConfig = z.infer<typeof incidentRuleSchema>;

const categoryRuleSchema = z
  .strictObject({
    category: z.string().regex(/^[A-Za-z0-9_-]+$/, 'category names are letters, digits, "-" or "_"'),
    ...eventMatchShape,
  })
  .refine(hasCondition, { message: noConditionMessage });
export type CategoryRuleConfig = z.infer<typeof categoryRuleSchema>;

const productionEntrySchema = z.union([
  z.string().min(1),
  z.strictObject({
    system: z.string().min(1),
    /** In production from this instant (a date alone means 00:00 UTC). */
    from: dateSchema.optional(),
    /** In production until this instant (a date alone includes that whole UTC day). */
    to: dateSchema.optional(),
  }),
]);
export type ProductionEntry = z.infer<typeof productionEntrySchema>;

export const defaultGuardrailRegex =
  'guardrail|content[ _-]?filter|jailbreak|prompt[ _-]?injection|safety[ _-]?block|moderation';

export const siemSourceSchema = z
  .strictObject({
    id: sourceIdSchema,
    type: z.literal('siem'),
    /** Folder holding the export files (relative paths resolve against the config file). */
    path: z.string().min(1).optional(),
    /** Or an S3 prefix holding them (connection settings as for `type: s3` sources). */
    s3: z.strictObject({ bucket: z.string().min(3), prefix: z.string().default(''), ...s3ConnectionShape }).optional(),
    include: z.array(z.string().min(1)).default([]),
    exclude: z.array(z.string().min(1)).default(['**/.*', '**/.*/**']),
    /** Format of every file, or `auto` to detect it per file from its first bytes. */
    format: z.enum(['auto', ...siemFormats]).default('auto'),
    /** Per-file format overrides by glob on the relative path; the first match wins over `format`. */
    formats: z.array(z.strictObject({ match: z.string().min(1), format: z.enum(siemFormats) })).default([]),
    /** Field names per field group (splunk: splunk-json and splunk-csv; elastic: NDJSON and _search). */
    fields: z
      .strictObject({
        splunk: fieldNamesSchema.optional(),
        elastic: fieldNamesSchema.optional(),
        cef: fieldNamesSchema.optional(),
        ocsf: fieldNamesSchema.optional(),
        json: fieldNamesSchema.optional(),
      })
      .prefault({}),
    /** System name for events that carry none in their system fields; without it such events are malformed. */
    defaultSystem: z.string().min(1).optional(),
    production: z
      .strictObject({
        /**
         * Systems in production, optionally with periods (repeat a system for several periods). Empty: every
         * observed system counts as in production, and only gaps between its own events are measured.
         */
        systems: z.array(productionEntrySchema).default([]),
        /** A gap longer than this is counted in `gapsOverThreshold` and makes `continuous` false. */
        gapThresholdHours: z.number().positive().default(24),
        /** Window before the last event for `recent*` attributes. */
        recentWindowDays: z.number().int().positive().default(30),
      })
      .prefault({}),
    /** Rules selecting events for the incident list. */
    incidents: z.array(incidentRuleSchema).default([{ id: 'high-severity', minSeverity: 'high' }]),
    /** Named event categories (e.g. guardrail, usage) counted in event-counts. */
    categories: z.array(categoryRuleSchema).default([{ category: 'guardrail', nameRegex: defaultGuardrailRegex }]),
    /** A file with more malformed records than this fraction fails (its evidence is not used). */
    maxMalformedRatio: z.number().min(0).max(1).default(0.01),
    limits: z
      .strictObject({
        /** Longest line (or `_search` hit, or multi-line CSV record) read; longer ones are malformed. */
        maxRecordBytes: z
          .number()
          .int()
          .min(1024)
          .default(1024 * 1024),
        /** Distinct system names tracked; further systems are counted as `(other)`. */
        maxSystems: z.number().int().positive().default(1000),
        /** Incidents listed in the incident list (all are counted). */
        maxIncidents: z.number().int().nonnegative().default(1000),
        /** Malformed records listed per file in its quarantine artifact (all are counted). */
        maxQuarantineEntries: z.number().int().nonnegative().default(1000),
        /** Characters of a malformed line kept as a hint (after redacting secret-looking text); 0 keeps none. */
        quarantinePrefixChars: z.number().int().min(0).max(64).default(16),
      })
      .prefault({}),
  })
  .superRefine((s, ctx) => {
    if ((s.path === undefined) === (s.s3 === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['path'],
        message: 'set exactly one of "path" (a folder) or "s3" (a bucket prefix)',
      });
    }
  });

export type SiemSourceConfig = z.output<typeof siemSourceSchema>;
export type SiemSourceInput = z.input<typeof siemSourceSchema>;
