import { z } from 'zod';
import { parseJsonPath } from './json-paths';
import { builtinRuleNames } from './patterns';

// Configuration: the `redaction:` section of evidence-hub.yaml.

export const defaultMaxJsonBytes = 32 * 1024 * 1024;
export const defaultMaxLineBytes = 1024 * 1024;

const ruleNameSchema = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'must be 1-63 lowercase letters, digits or "-" (it becomes part of the [REDACTED:<name>] marker)',
  );

/** Why a user pattern cannot be used, or undefined when it is fine. */
export function regexProblem(source: string, flags = ''): string | undefined {
  let re: RegExp;
  try {
    re = new RegExp(source, flags + 'gd');
  } catch (err) {
    const detail = String((err as Error).message).replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '');
    return `invalid regular expression ${JSON.stringify(source)}: ${detail}`;
  }
  re.lastIndex = 0;
  if (re.test(''))
    return `regular expression ${JSON.stringify(source)} matches the empty string, so it would match everywhere`;
  return undefined;
}

const patternSchema = z
  .strictObject({
    name: ruleNameSchema,
    regex: z.string().min(1, 'must not be empty'),
    /** Extra RegExp flags: i, m, s, u. `g` and `d` are always added. */
    flags: z
      .string()
      .regex(/^[imsu]*$/, 'only the flags i, m, s and u are allowed')
      .default(''),
  })
  .superRefine((p, ctx) => {
    const problem = regexProblem(p.regex, p.flags);
    if (problem) ctx.addIssue({ code: 'custom', path: ['regex'], message: problem });
  });

const jsonPathSchema = z.string().superRefine((p, ctx) => {
  try {
    parseJsonPath(p);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
  }
});

/**
 * The `redaction:` section of evidence-hub.yaml. Everything has a default, so `redaction: {}` (or no
 * section, with `.prefault({})`) means: all built-in rules on, no JSON paths.
 */
export const redactionConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true),
    /** Extra patterns: `{ name, regex, flags? }`. A named group `secret` narrows what is replaced. */
    patterns: z.array(patternSchema).default([]),
    /** JSON paths redacted in JSON artifacts: `$.credentials.token`, `$..password`, `$.users[*].apiKey`, `$['odd key']`. */
    jsonPaths: z.array(jsonPathSchema).default([]),
    /** Built-in rule names to switch off. */
    disable: z.array(z.string()).default([]),
    /** JSON documents up to this size get JSON-path redaction (they are buffered); larger ones get patterns only. */
    maxJsonBytes: z.number().int().positive().default(defaultMaxJsonBytes),
    /** Lines up to this length are scanned whole; longer ones in overlapping windows of this size. */
    maxLineBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(defaultMaxLineBytes),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Set<string>();
    cfg.patterns.forEach((p, i) => {
      if (builtinRuleNames.includes(p.name) || p.name === 'json-path') {
        ctx.addIssue({
          code: 'custom',
          path: ['patterns', i, 'name'],
          message: `"${p.name}" is a built-in rule name; choose another`,
        });
      } else if (seen.has(p.name)) {
        ctx.addIssue({ code: 'custom', path: ['patterns', i, 'name'], message: `duplicate pattern name "${p.name}"` });
      }
      seen.add(p.name);
    });
    cfg.disable.forEach((name, i) => {
      if (!builtinRuleNames.includes(name) && !seen.has(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['disable', i],
          message: `unknown rule "${name}"; built-in rules: ${builtinRuleNames.join(', ')}`,
        });
      }
    });
  });

export type RedactionConfig = z.output<typeof redactionConfigSchema>;
export type RedactionConfigInput = z.input<typeof redactionConfigSchema>;
