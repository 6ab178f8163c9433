import { createHash } from 'node:crypto';
import { pipeline, Transform, type Readable } from 'node:stream';
import { ArtifactRedactor, type RedactorCore } from './artifact';
import { redactionConfigSchema, type RedactionConfig, type RedactionConfigInput } from './config';
import { parseJsonPath } from './json-paths';
import type { ActiveRule, EngineSettings } from './line-engine';
import { builtinRuleNames, genericRules, specificRules } from './patterns';
import { regexRule, type Rule } from './rule';
import { redactionEngine, type RedactionReport } from './report';

// Public API

function userRule(name: string, source: string, flags: string): Rule {
  return regexRule(
    name,
    `configured pattern /${source}/${flags}`,
    [new RegExp(source, flags + 'gd')],
    undefined,
    false,
  );
}

export interface RedactionTransform {
  /** Pipe the artifact's bytes in, read the redacted bytes out (e.g. into `EvidenceStore.putBlob`). */
  stream: Transform;
  /** The report; available once the stream has ended (throws before). */
  report(): RedactionReport;
}

export interface Redactor {
  readonly config: RedactionConfig;
  /** First 16 hex of the sha256 of the effective rule set (engine version, rules, patterns, paths, limits). */
  readonly ruleset: string;
  /** Names of the rules that can appear in markers and reports with this config. */
  readonly rules: readonly string[];
  /** A fresh Transform for one artifact. */
  transform(mediaType: string, artifactId: string): RedactionTransform;
  /**
   * `source` piped through `transform(...)` with `stream.pipeline`, so an error in the source fails the
   * returned stream (a bare `source.pipe()` would leave its consumer waiting forever).
   */
  redact(source: Readable, mediaType: string, artifactId: string): { stream: Readable; report(): RedactionReport };
  /** Whole-buffer convenience, same result as the stream. */
  redactBuffer(
    input: Buffer | string,
    mediaType: string,
    artifactId: string,
  ): { output: Buffer; report: RedactionReport };
}

/** Raised for an invalid redaction config; the message names each bad field. */
export class RedactionConfigError extends Error {}

export function createRedactor(options: RedactionConfigInput | RedactionConfig = {}): Redactor {
  const parsed = redactionConfigSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${['redaction', ...i.path].join('.')}: ${i.message}`);
    throw new RedactionConfigError(`invalid redaction config:\n  ${problems.join('\n  ')}`);
  }
  const config = parsed.data;
  const disabled = new Set(config.disable);
  const rules: ActiveRule[] = [];
  let priority = 0;
  for (const rule of specificRules)
    if (!disabled.has(rule.name)) rules.push({ rule, priority: priority++, builtin: true });
  for (const p of config.patterns)
    if (!disabled.has(p.name))
      rules.push({ rule: userRule(p.name, p.regex, p.flags), priority: priority++, builtin: false });
  for (const rule of genericRules)
    if (!disabled.has(rule.name)) rules.push({ rule, priority: priority++, builtin: true });
  const settings: EngineSettings = {
    rules,
    disabled,
    maxLineBytes: config.maxLineBytes,
    overlap: Math.floor(config.maxLineBytes / 2),
  };
  const paths = config.jsonPaths.map((source) => ({ source, segs: parseJsonPath(source) }));
  const ruleNames = [
    ...builtinRuleNames.filter((n) => !disabled.has(n)),
    ...config.patterns.map((p) => p.name).filter((n) => !disabled.has(n)),
    ...(paths.length ? ['json-path'] : []),
  ];
  const ruleset = createHash('sha256')
    .update(
      JSON.stringify({
        engine: redactionEngine,
        enabled: config.enabled,
        rules: ruleNames,
        patterns: config.patterns,
        jsonPaths: config.jsonPaths,
        maxJsonBytes: config.maxJsonBytes,
        maxLineBytes: config.maxLineBytes,
      }),
    )
    .digest('hex')
    .slice(0, 16);
  const core: RedactorCore = { config, settings, paths, ruleset };

  const transform = (mediaType: string, artifactId: string): RedactionTransform => {
    const a = new ArtifactRedactor(core, mediaType, artifactId);
    const stream = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        try {
          for (const b of a.write(chunk)) this.push(b);
          cb();
        } catch (err) {
          cb(err as Error);
        }
      },
      flush(cb) {
        try {
          for (const b of a.end()) this.push(b);
          cb();
        } catch (err) {
          cb(err as Error);
        }
      },
    });
    return { stream, report: () => a.report() };
  };

  return {
    config,
    ruleset,
    rules: ruleNames,
    transform,
    redact(source, mediaType, artifactId) {
      const t = transform(mediaType, artifactId);
      pipeline(source, t.stream, () => {
        // Errors reach whoever reads t.stream: pipeline destroys it with the error.
      });
      return t;
    },
    redactBuffer(input, mediaType, artifactId) {
      const a = new ArtifactRedactor(core, mediaType, artifactId);
      const buf = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
      const out = [...a.write(buf), ...a.end()];
      return { output: Buffer.concat(out), report: a.report() };
    },
  };
}
