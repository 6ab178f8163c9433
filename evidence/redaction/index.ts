/**
 * Redaction before persistence: secrets in collected artifacts are replaced by `[REDACTED:<rule>]`
 * while the bytes stream into the store, so the stored blob, its sha256 and everything downstream only
 * ever see the redacted text. The report says what was redacted and where (rule, count, line numbers),
 * never the secret.
 *
 * How text is processed:
 * - bytes are handled as latin1 strings, so everything not redacted is written back byte for byte;
 * - line by line (LF or CRLF), lines up to `maxLineBytes` at once; longer lines in windows of that
 *   size that overlap by half, so a secret up to `maxLineBytes / 2` long that crosses a window edge is
 *   still found whole;
 * - key blocks spanning lines, YAML block scalars under secret keys and CSV columns with secret
 *   headers are handled by small state machines that carry over from line to line;
 * - JSON documents (JSON media type, at most `maxJsonBytes`) additionally get the configured JSON paths
 *   redacted, which needs the whole document: it is buffered up to that cap, larger ones fall back to
 *   patterns only and the report says so;
 * - binary media types (PDF, images, archives, office formats) pass through unchanged, `scanned: false`.
 *
 * The output depends only on the input bytes and the config, never on how the input was chunked.
 *
 * One file per part: config.ts (the `redaction:` section), rule.ts (what a rule is), patterns.ts (the
 * built-in rules), line-engine.ts and csv-columns.ts (text line by line), json-paths.ts (JSON-path
 * redaction), media-types.ts (text, binary or sniff), artifact.ts (one artifact), report.ts (what was
 * redacted), redactor.ts (the public entry point).
 */

export { redactionConfigSchema, type RedactionConfig, type RedactionConfigInput } from './config';
export { parseJsonPath } from './json-paths';
export { createRedactor, RedactionConfigError, type RedactionTransform, type Redactor } from './redactor';
export {
  maxReportedLines,
  summarizeRedaction,
  type JsonPathHits,
  type RedactionReport,
  type RedactionSummary,
  type RuleHits,
} from './report';
