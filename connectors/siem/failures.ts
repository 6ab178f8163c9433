import type { MalformedReason } from './event';
import type { Quarantine } from './quarantine';

/** Why a whole file could not be read, as a code next to the per-record reason codes. */
export type FileErrorCode = 'format-not-recognised' | 'unreadable' | 'invalid-json-structure';

/** What the texts below need of one failed file. */
export interface FailedFile {
  path: string;
  /** Why the file's evidence is not used (the quarantine artifact's `failure`). */
  failure: string;
  fileErrorCode: FileErrorCode | undefined;
  quarantine: Quarantine;
}

/** How a reason reads after "1 of 3 lines": the code follows in brackets, so auditors can look it up. */
const phrases: Record<MalformedReason, string> = {
  'invalid-json': 'not valid JSON',
  'not-an-object': 'not a JSON object',
  'missing-result': 'without a Splunk "result"',
  'missing-class-uid': 'without an OCSF class_uid',
  'missing-timestamp': 'without timestamp',
  'bad-timestamp': 'with an unreadable timestamp',
  'timestamp-out-of-range': 'with a timestamp before 2000 or after 2099',
  'missing-system': 'without a system name',
  'record-too-long': 'too long',
  'invalid-cef': 'not valid CEF',
  'csv-columns': 'with the wrong number of CSV columns',
  'csv-unterminated': 'with an unterminated CSV quote',
  'truncated-json': 'cut off',
  'invalid-json-structure': 'breaking the JSON structure',
  'no-hits-array': 'without a hits array',
};

const listedReasons = 3;

/** Reason codes by count, most first (ties in code order), as `[code, count]`. */
function ranked(counts: Map<string, number>): [string, number][] {
  return [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Why a file over the malformed ratio is not used, naming the counts and the reason codes:
 * `1 of 3 lines without timestamp (missing-timestamp); 33.33% malformed, limit 1.00%; tried rt, end`.
 */
export function ratioFailure(
  q: Quarantine,
  records: number,
  unit: 'lines' | 'records',
  ratio: string,
  limit: string,
): string {
  const reasons = ranked(q.byReason) as [MalformedReason, number][];
  let what: string;
  if (reasons.length === 1) {
    what = `${q.total} of ${records} ${unit} ${phrases[reasons[0]![0]]} (${reasons[0]![0]})`;
  } else {
    const top = reasons.slice(0, listedReasons).map(([code, n]) => `${code}: ${n}`);
    const more = reasons.length > listedReasons ? `, ${reasons.length - listedReasons} more reasons` : '';
    what = `${q.total} of ${records} ${unit} malformed (${top.join(', ')}${more})`;
  }
  const tried = q.firstDetail.get('missing-timestamp');
  return `${what}; ${ratio} malformed, limit ${limit}${tried ? `; ${tried}` : ''}`;
}

/** The top reason codes over failed files: record reasons by count, plus whole-file errors (counted per file). */
export function topReasons(failed: FailedFile[]): string {
  const counts = new Map<string, number>();
  for (const f of failed) {
    if (f.fileErrorCode) counts.set(f.fileErrorCode, (counts.get(f.fileErrorCode) ?? 0) + 1);
    else for (const [code, n] of f.quarantine.byReason) counts.set(code, (counts.get(code) ?? 0) + n);
  }
  return ranked(counts)
    .slice(0, listedReasons)
    .map(([code, n]) => `${code} ×${n}`)
    .join(', ');
}

const maxListedFiles = 9;

/** One problem per failed file (`checkpoint.log: 1 of 3 lines without timestamp (missing-timestamp); ...`), capped. */
export function fileProblems(failed: FailedFile[]): string[] {
  const out = failed.slice(0, maxListedFiles).map((f) => `${f.path}: ${f.failure}`);
  if (failed.length > maxListedFiles) out.push(`and ${failed.length - maxListedFiles} more export file(s) failed`);
  return out;
}

/** The error of a source that yielded nothing usable: every file failed. */
export function nothingUsable(sourceId: string, failed: FailedFile[], files: number): string {
  return (
    `source "${sourceId}": nothing usable, ${failed.length} of ${files} export file(s) failed (${topReasons(failed)}): ` +
    fileProblems(failed).join('; ')
  );
}
