import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.join(__dirname, '..', '..');

/** The OSCAL version lines compliance-trestle models, one trestle major each (scripts/ensure-trestle.sh). */
export type TrestleLine = '1.1' | '1.2';

/**
 * Finds or installs (once, into the cache outside the repo) compliance-trestle for each OSCAL line, and returns
 * the python of each virtualenv.
 */
export function ensureTrestle(): Record<TrestleLine, string> {
  const out = execFileSync('bash', [path.join(root, 'scripts', 'ensure-trestle.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 20 * 60_000,
  });
  const lines = new Map(
    out
      .trim()
      .split('\n')
      .map((l) => l.split(' ', 2) as [string, string]),
  );
  const python = (line: TrestleLine) => {
    const p = lines.get(line);
    if (!p) throw new Error(`ensure-trestle.sh printed no python for OSCAL ${line}: ${out}`);
    return p;
  };
  return { '1.1': python('1.1'), '1.2': python('1.2') };
}

// Loads the file with trestle's own model of the document: its pydantic classes check every field, pattern
// and choice, beyond the JSON schema. With a second argument, the document's declared oscal-version is first
// set to it (in a copy), for a trestle whose model line differs from the version the document declares.
const load = `
import json, pathlib, sys, tempfile
from trestle.oscal import OSCAL_VERSION
from trestle.oscal.assessment_results import AssessmentResults
file = pathlib.Path(sys.argv[1])
if len(sys.argv) > 2:
    doc = json.loads(file.read_text())
    doc["assessment-results"]["metadata"]["oscal-version"] = sys.argv[2]
    file = pathlib.Path(tempfile.mkdtemp()) / file.name
    file.write_text(json.dumps(doc))
try:
    AssessmentResults.oscal_read(file)
except Exception as e:
    print(f"trestle (OSCAL {OSCAL_VERSION}) rejects {sys.argv[1]}: {e}")
    sys.exit(1)
print(f"trestle (OSCAL {OSCAL_VERSION}) accepts {sys.argv[1]}")
`;

/**
 * Reads an OSCAL assessment-results file with trestle's model: ok, and trestle's message either way.
 * `declaredAs` re-declares the document's oscal-version first (see `load`).
 */
export function trestleReads(python: string, file: string, declaredAs?: string): { ok: boolean; message: string } {
  const args = ['-c', load, file, ...(declaredAs !== undefined ? [declaredAs] : [])];
  const r = spawnSync(python, args, { encoding: 'utf8', timeout: 120_000 });
  return { ok: r.status === 0, message: `${r.stdout}${r.stderr}`.trim() };
}
