import { loadClauseCatalog } from '../../mappings/catalog';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { PDFDocument } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runExport } from '../../cli/commands/export';
import { UsageError } from '../../cli/command-kit';
import { sha256Hex } from '../../core/digest';
import { buildPackModel, ExportError, exportAuditPack, exportOscal } from '../../evidence/export';
import { esc, renderSummary } from '../../evidence/export/html';
import { FilesystemStore } from '../../evidence/fs-store';
import { prune } from '../../evidence/retention';
import type { Signer } from '../../evidence/signing';
import { verifyStore } from '../../evidence/verify';
import { expandMappingPaths, loadMappings, type MappingSet } from '../../mappings/load';
import { runCli } from '../support/processes';
import { newKey, writeBundle } from '../support/store-fixture';
import { fingerprintOf } from '../../evidence/trust/fingerprint';
import { runPackScript, scriptOk } from '../support/pack-script';
import { ensureTrestle, trestleReads } from '../support/trestle';
import { suiteDir, tempDir } from '../support/tmp';
import { hasChromium } from '../support/chromium';
import { mappingVocabulary } from '../../connectors';

const window = { from: new Date('2026-02-01T00:00:00.000Z'), to: new Date('2026-04-30T23:59:59.999Z') };
const now = new Date('2026-07-01T00:00:00.000Z');
const notApplicable = [
  {
    control: 'A.10.4',
    justification: 'We offer no AI services to customers.',
    soa: { version: '2026.1', approvedBy: 'J. Doe (CEO)', approvedOn: '2026-01-05' },
  },
];
const oscalFixtures = path.join(__dirname, '..', 'fixtures', 'oscal');
const schemaFile = path.join(oscalFixtures, 'oscal_assessment-results_schema.json');
/**
 * NIST's JSON schemas the OSCAL document is checked against, each with the SHA-256 of the file as shipped (see
 * test/fixtures/oscal/PROVENANCE.md). 1.1.3 and 1.2.0 to 1.2.2 are not here: no package on the registries this
 * project may use ships those schema files (PROVENANCE.md says which were looked at); none is faked.
 */
const nistSchemas = [
  { version: '1.1.2', file: schemaFile, sha256: 'd033da70154cf6625ae46a746199e88e58f2928b1387dfac051d381b92f41b0d' },
  {
    version: '1.2.3',
    file: path.join(oscalFixtures, '1.2.3', 'oscal_complete_schema.json'),
    sha256: '384324105c7a817af0f65b120a963146caa0e0d55d969cf0daf60e063b87a206',
  },
];

/** A validator for one of NIST's schemas, after checking the file is the one shipped. */
async function nistValidator(schema: (typeof nistSchemas)[number]) {
  const bytes = await readFile(schema.file);
  expect(sha256Hex(bytes), schema.version).toBe(schema.sha256); // the release asset, unmodified
  // unicodeRegExp for the schemas' \p{L} patterns; strict: false so ajv does not lint the vendored schema.
  const ajv = new Ajv({ unicodeRegExp: true, strict: false, allErrors: true });
  addFormats(ajv);
  return ajv.compile(JSON.parse(bytes.toString('utf8')));
}

/** Runs a shell command line without throwing on a non-zero exit. */
/** Every page's MediaBox [width, height] in points, read from the PDF with pdf-lib. */
async function mediaBoxes(file: string): Promise<[number, number][]> {
  const doc = await PDFDocument.load(await readFile(file));
  return doc.getPages().map((p) => {
    const { width, height } = p.getMediaBox();
    return [Math.round(width * 100) / 100, Math.round(height * 100) / 100];
  });
}

function sh(command: string, cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('sh', ['-c', command], { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function extract(archive: string, into: string): Promise<void> {
  await mkdir(into, { recursive: true });
  const r = sh(`tar xzf '${archive}' -C '${into}'`, into);
  if (r.code !== 0) throw new Error(`tar failed: ${r.stderr}`);
}

/** Like writeBundle, plus a Jira source that failed in the same sweep. */
function sealWithFailedSource(
  store: FilesystemStore,
  key: Signer,
  mappings: MappingSet,
  bundleId: string,
  files: Record<string, string>,
  at: Date,
) {
  return writeBundle(store, key, mappings, bundleId, files, at, {
    trigger: 'schedule',
    extraOutcomes: [
      {
        source: 'jira',
        sourceType: 'jira',
        status: 'failed',
        artifactCount: 0,
        error: { type: 'AuthError', message: 'HTTP 401 from the Jira API' },
      },
    ],
  });
}

const common = (i: number) => ({
  'policies/ai-policy.md': `# AI policy v${Math.floor(i / 2)}\n`,
  'raci.csv': 'system,owner\nchatbot,alice\n',
  [`monitoring/m${i}.md`]: `drift report ${i}\n`,
});
const blobOf = (content: string) => sha256Hex(content);

/**
 * Bundles before (#1, January), inside (#2..#4, February to April) and after (#5, June) the window.
 * Unchanged files share one blob across bundles; early/ and late/ hold blobs only the bundles outside the
 * window reference; bundle #3 records a failed Jira source.
 */
async function auditStore(root: string) {
  const store = await FilesystemStore.open(root);
  const key = newKey();
  const mappings = await loadMappings(
    expandMappingPaths(['default'], '/', mappingVocabulary(), new Set(['folder'])),
    mappingVocabulary(),
  );
  await writeBundle(
    store,
    key,
    mappings,
    'sweep-jan',
    { ...common(1), 'early/before-window.md': 'only before the window\n' },
    new Date('2026-01-10T10:00:00Z'),
  );
  await writeBundle(store, key, mappings, 'sweep-feb', common(2), new Date('2026-02-10T10:00:00Z'));
  await sealWithFailedSource(store, key, mappings, 'sweep-mar', common(3), new Date('2026-03-10T10:00:00Z'));
  await writeBundle(
    store,
    key,
    mappings,
    'sweep-apr',
    { ...common(4), 'validation/eval-report.md': 'accuracy 0.93\n' },
    new Date('2026-04-10T10:00:00Z'),
  );
  await writeBundle(
    store,
    key,
    mappings,
    'sweep-jun',
    { ...common(5), 'late/after-window.md': 'only after the window\n' },
    new Date('2026-06-10T10:00:00Z'),
  );
  return { store, key, fingerprint: fingerprintOf(key.publicKeyPem), hub: { store, mappings, notApplicable, key } };
}

describe('audit pack export', () => {
  let dir: string;
  let fixture: Awaited<ReturnType<typeof auditStore>>;
  let archive: string;
  let pack: string;
  let result: Awaited<ReturnType<typeof exportAuditPack>>;

  beforeAll(async () => {
    dir = await suiteDir('eh-export-');
    fixture = await auditStore(path.join(dir, 'store'));
    archive = path.join(dir, 'out', 'audit-2026-q1.tar.gz');
    result = await exportAuditPack(fixture.hub, { key: fixture.key, ...window, out: archive, now });
    await extract(archive, path.join(dir, 'x'));
    pack = path.join(dir, 'x', 'audit-2026-q1');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('holds exactly the bundles sealed inside the window and each of their blobs once', async () => {
    expect(result).toMatchObject({
      root: 'audit-2026-q1',
      format: 'tar.gz',
      bundles: [2, 3, 4],
      fromSequence: 2,
      problems: [],
    });
    const listing = sh(`tar tzf '${archive}'`, dir).stdout.trim().split('\n');
    expect(listing.every((p) => p.startsWith('audit-2026-q1/'))).toBe(true);
    expect(listing.filter((p) => p.endsWith('/'))).toEqual(
      ['blobs/sha256/', 'checkpoints/', 'keys/', 'manifests/', 'signatures/'].map((d) => `audit-2026-q1/${d}`),
    );
    const files = listing.filter((p) => !p.endsWith('/')).map((p) => p.slice('audit-2026-q1/'.length));
    expect(files.filter((p) => p.startsWith('manifests/'))).toEqual([
      'manifests/000000000002.json',
      'manifests/000000000003.json',
      'manifests/000000000004.json',
    ]);
    expect(files.filter((p) => p.startsWith('signatures/'))).toHaveLength(3);
    // The signed checkpoints of the window's bundles, none of those outside it.
    expect(files.filter((p) => p.startsWith('checkpoints/'))).toEqual(
      [2, 3, 4].flatMap((n) => [`checkpoints/00000000000${n}.txt`, `checkpoints/00000000000${n}.sig`]),
    );

    // The blobs are exactly those the three manifests reference, each once.
    const referenced = new Set<string>();
    for (const seq of [2, 3, 4]) {
      const m = JSON.parse((await fixture.store.readManifest(seq))!.toString('utf8')) as {
        artifacts: { sha256: string }[];
      };
      for (const a of m.artifacts) referenced.add(a.sha256);
    }
    const blobs = files.filter((p) => p.startsWith('blobs/'));
    expect(new Set(blobs).size).toBe(blobs.length);
    expect(blobs.map((p) => path.basename(p)).sort()).toEqual([...referenced].sort());
    expect(result.blobs).toBe(referenced.size);
    // raci.csv never changed: one blob for three bundles; the blobs only the outside bundles use are absent.
    expect(blobs).toContain(
      `blobs/sha256/${blobOf('system,owner\nchatbot,alice\n').slice(0, 2)}/${blobOf('system,owner\nchatbot,alice\n')}`,
    );
    expect(blobs.some((p) => p.endsWith(blobOf('only before the window\n')))).toBe(false);
    expect(blobs.some((p) => p.endsWith(blobOf('only after the window\n')))).toBe(false);
    expect(blobs.some((p) => p.endsWith(blobOf('drift report 1\n')))).toBe(false);
    expect(blobs.some((p) => p.endsWith(blobOf('drift report 5\n')))).toBe(false);

    for (const f of [
      'store.json',
      'export.json',
      'export.json.sig',
      'VERIFY.md',
      'verify.sh',
      'index.json',
      'SHA256SUMS',
      'oscal/assessment-results.json',
      'report/index.html',
      `keys/${fixture.key.keyId}.pem`,
      `keys/${fixture.key.keyId}.json`,
    ]) {
      expect(files).toContain(f);
    }
    expect(files.filter((p) => p.startsWith('report/controls/'))).toHaveLength(38);
    // Manifests are copied byte for byte.
    expect(
      (await readFile(path.join(pack, 'manifests', '000000000003.json'))).equals(
        (await fixture.store.readManifest(3))!,
      ),
    ).toBe(true);
  });

  it('verifies with the commands VERIFY.md documents: sha256sum and openssl only', async () => {
    const doc = await readFile(path.join(pack, 'VERIFY.md'), 'utf8');
    // The one-shot script, exactly as the document shows it, with the fingerprint obtained out of band.
    const run = await runPackScript(pack, `sha256:${fixture.fingerprint}`);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(scriptOk);
    expect(run.code).toBe(0);
    // Without a fingerprint it refuses and says where to get one; VERIFY.md never prints the fingerprint.
    const bare = await runPackScript(pack, '');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/signing\.trustedKeys[\s\S]*audit report/);
    expect(doc).not.toContain(fixture.fingerprint);
    expect(doc.indexOf('out of band')).toBeLessThan(doc.indexOf('## 8. Manifests'));

    // The individual commands, one by one.
    expect(sh('sha256sum -c --quiet SHA256SUMS', pack).code).toBe(0);
    expect(
      sh(`for f in blobs/sha256/*/*; do echo "$(basename "$f")  $f"; done | sha256sum -c --quiet`, pack).code,
    ).toBe(0);
    let expected = JSON.parse(await readFile(path.join(pack, 'export.json'), 'utf8')).previousDigest as string;
    expect(expected).toBe(sha256Hex((await fixture.store.readManifest(1))!)); // the anchor: manifest #1, outside the pack
    for (const seq of [2, 3, 4]) {
      const m = `manifests/${String(seq).padStart(12, '0')}.json`;
      const digest = sh(`sha256sum ${m} | cut -d' ' -f1`, pack).stdout.trim();
      const manifest = JSON.parse(await readFile(path.join(pack, m), 'utf8')) as {
        previousDigest: string;
        signing: { keyId: string };
      };
      const verified = sh(
        `openssl pkeyutl -verify -pubin -inkey keys/${manifest.signing.keyId}.pem -rawin -in ${m} -sigfile signatures/${digest}.sig`,
        pack,
      );
      expect(verified.stdout.trim()).toBe('Signature Verified Successfully');
      expect(verified.code).toBe(0);
      expect(manifest.previousDigest).toBe(expected);
      expected = digest;
    }
    expect(doc).toContain(
      `openssl pkeyutl -verify -pubin -inkey keys/${fixture.key.keyId}.pem -rawin -in manifests/000000000002.json -sigfile signatures/`,
    );
  });

  it('the extracted folder is a store that verifyStore and `evidence-hub verify` accept as a chain segment', async () => {
    const report = await verifyStore(await FilesystemStore.openExisting(pack));
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({
      ok: true,
      bundlesChecked: 3,
      blobsChecked: result.blobs,
      segment: { fromSequence: 2, previousDigest: result.previousDigest },
    });
    const cli = await runCli(['verify', pack, '--trust', `sha256:${fixture.fingerprint}`]);
    expect(cli.stdout).toMatch(/^OK: .*: 3 bundle\(s\), \d+ blob\(s\) checked/);
    expect(cli.code).toBe(0);
    // Without a trust anchor: consistent, but not authenticated (exit 3).
    expect((await runCli(['verify', pack])).code).toBe(3);
  });

  it('a flipped byte in a copied blob fails the documented script, SHA256SUMS and verify', async () => {
    const copy = path.join(dir, 'tampered');
    await extract(archive, copy);
    const root = path.join(copy, 'audit-2026-q1');
    const blob = path.join(root, 'blobs', 'sha256', blobOf('accuracy 0.93\n').slice(0, 2), blobOf('accuracy 0.93\n'));
    await chmod(blob, 0o644);
    await writeFile(blob, 'accuracy 0.99\n');
    const run = await runPackScript(root, fixture.fingerprint);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('FAILED');
    expect(sh('sha256sum -c --quiet SHA256SUMS', root).code).not.toBe(0);
    const report = await verifyStore(await FilesystemStore.openExisting(root));
    expect(report.problems.map((p) => p.code)).toEqual(['blob-altered']);
    // A manifest swapped for another breaks its signature and the chain.
    await writeFile(
      path.join(root, 'manifests', '000000000003.json'),
      (await readFile(path.join(root, 'manifests', '000000000003.json'), 'utf8')).replace('sweep-mar', 'sweep-maR'),
    );
    expect((await runPackScript(root, fixture.fingerprint)).stdout).toMatch(
      /signature-invalid: manifests\/000000000003\.json[\s\S]*chain-broken: manifests\/000000000004\.json/,
    );
  });

  it('writes OSCAL assessment results that validate against the official OSCAL 1.1.2 schema', async () => {
    const validate = await nistValidator(nistSchemas[0]!);

    const doc = JSON.parse(await readFile(path.join(pack, 'oscal', 'assessment-results.json'), 'utf8'));
    const ok = validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);

    // The schema is enforced, patterns included: a malformed UUID or a bad finding state is rejected.
    expect(validate({ 'assessment-results': { ...doc['assessment-results'], uuid: 'not-a-uuid' } })).toBe(false);
    const badState = structuredClone(doc);
    badState['assessment-results'].results[0].findings[0].target.status.state = 'evidence-current';
    expect(validate(badState)).toBe(false);

    const ar = doc['assessment-results'];
    expect(ar.metadata['oscal-version']).toBe('1.1.2');
    const planRef = ar['import-ap'].href as string;
    expect(
      ar['back-matter'].resources.some(
        (r: { uuid: string; title: string }) => `#${r.uuid}` === planRef && /placeholder/i.test(r.title),
      ),
    ).toBe(true);
    const res = ar.results[0];
    expect([res.start, res.end]).toEqual([window.from.toISOString(), window.to.toISOString()]);
    // One selection: every control in scope included, the not-applicable one excluded from it (issue #15: an
    // exclusion-only selection, as before, is invalid under OSCAL 1.2 and the 1.1 model).
    const [selection, ...more] = res['reviewed-controls']['control-selections'];
    expect(more).toEqual([]);
    expect(selection['include-controls']).toHaveLength(38);
    expect(selection['include-controls']).toContainEqual({ 'control-id': 'A.10.4' });
    expect(selection['exclude-controls']).toEqual([{ 'control-id': 'A.10.4' }]);
    expect(selection.remarks).toContain(notApplicable[0]!.justification);
    // The exclusion names the SoA version and approver it comes from.
    expect(selection.remarks).toContain('Statement of Applicability v2026.1, approved by J. Doe (CEO) on 2026-01-05');
    expect(res.findings).toHaveLength(37);
    // Only current evidence (current, due-soon) is satisfied; every other status is not-satisfied, with the
    // reason in the remarks (pass / fail / other as findingState documents).
    type Finding = { props: { name: string; value: string }[]; description: string; target: { status: Json } };
    type Json = Record<string, unknown>;
    const states = new Map<string, Set<string>>();
    for (const f of res.findings as Finding[]) {
      const status = f.props.find((p) => p.name === 'evidence-status')!.value;
      const st = f.target.status as { state: string; reason: string; remarks: string };
      states.set(status, (states.get(status) ?? new Set()).add(`${st.state}/${st.reason}`));
      expect(st.remarks).toBe(f.description);
      expect(st.state).toBe(['current', 'due-soon'].includes(status) ? 'satisfied' : 'not-satisfied');
    }
    // The fixture's pack has current, missing and collection-failed controls at least.
    expect(states.get('current')).toEqual(new Set(['satisfied/pass']));
    expect(states.get('missing')).toEqual(new Set(['not-satisfied/fail']));
    const raci = res.findings.find((f: { target: { 'target-id': string } }) => f.target['target-id'] === 'A.3.2');
    expect(raci.target).toMatchObject({ type: 'objective-id', status: { state: 'satisfied', reason: 'pass' } });
    expect(
      res.findings.find((f: { target: { 'target-id': string } }) => f.target['target-id'] === 'A.4.6').target.status
        .state,
    ).toBe('not-satisfied');
    // Every observation's evidence resolves to a file in the pack whose sha256 the back-matter states.
    const hashes = new Map<string, string>();
    for (const r of ar['back-matter'].resources) for (const l of r.rlinks ?? []) hashes.set(l.href, l.hashes[0].value);
    for (const o of res.observations) {
      expect(o.methods).toEqual(['EXAMINE']);
      expect(Date.parse(o.collected)).toBeLessThanOrEqual(window.to.getTime());
      const href = o['relevant-evidence'][0].href as string;
      const bytes = await readFile(path.resolve(pack, 'oscal', href));
      expect(sha256Hex(bytes)).toBe(hashes.get(href));
    }
    const policy = res.observations.find(
      (o: { title: string; collected: string }) =>
        o.title === 'docs:policies/ai-policy.md' && o.collected.startsWith('2026-04-10'),
    );
    expect(policy.expires).toBe('2027-04-10T10:00:00.000Z'); // observed + the 365d max age

    // Standalone, for a narrower scope: valid too.
    const standalone = path.join(dir, 'standalone.json');
    const written = await exportOscal(fixture.hub, { ...window, controls: 'A.6.*', out: standalone, now });
    expect(written.findings).toBe(9);
    const alone = JSON.parse(await readFile(standalone, 'utf8'));
    expect(validate(alone)).toBe(true);
    expect(alone['assessment-results'].results[0].observations[0]['relevant-evidence'][0].href).toMatch(
      /^blobs\/sha256\//,
    );
  });

  it('the OSCAL document also validates against the NIST OSCAL 1.2.3 schema and loads in compliance-trestle', async () => {
    const file = path.join(pack, 'oscal', 'assessment-results.json');
    const doc = JSON.parse(await readFile(file, 'utf8'));
    const validate = await nistValidator(nistSchemas[1]!);
    expect(validate(doc)).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
    // Every prop of ours carries the https namespace (trestle's model rejects a urn:).
    const namespaces = new Set([...JSON.stringify(doc).matchAll(/"ns": ?"([^"]*)"/g)].map((m) => m[1]));
    expect([...namespaces]).toEqual(['https://github.com/evidence-hub/ns']);

    // trestle 3 models OSCAL 1.1 (the version the document declares); trestle 5 models 1.2 and refuses a
    // document declaring 1.1.x, so it reads the same content re-declared as 1.2.1: the 1.2 model is the one
    // that enforces a control selection including something.
    const trestle = ensureTrestle();
    const reads = (f: string) => [trestleReads(trestle['1.1'], f), trestleReads(trestle['1.2'], f, '1.2.1')];
    for (const read of reads(file)) {
      expect(read.message).toMatch(/accepts/);
      expect(read.ok).toBe(true);
    }
    const narrow = path.join(dir, 'oscal-a6.json');
    await exportOscal(fixture.hub, { ...window, controls: 'A.6.*', out: narrow, now });
    expect(reads(narrow).map((r) => r.ok)).toEqual([true, true]);

    // The checks catch what the issue found: the exclusion-only selection (NIST 1.2.3 schema, trestle's 1.2
    // model) and the urn: namespace (trestle 3's model; trestle 5's takes any URI).
    const exclusionOnly = structuredClone(doc);
    exclusionOnly['assessment-results'].results[0]['reviewed-controls']['control-selections'] = [
      { 'include-controls': [{ 'control-id': 'A.3.2' }] },
      { 'exclude-controls': [{ 'control-id': 'A.10.4' }] },
    ];
    expect(validate(exclusionOnly)).toBe(false);
    const urn = structuredClone(doc);
    urn['assessment-results'].metadata.props[0].ns = 'urn:evidence-hub';
    const verdicts: Record<string, boolean[]> = {};
    for (const [name, bad] of Object.entries({ exclusionOnly, urn })) {
      const badFile = path.join(dir, `oscal-${name}.json`);
      await writeFile(badFile, JSON.stringify(bad));
      verdicts[name] = reads(badFile).map((r) => r.ok);
    }
    // [trestle 3 (1.1 model), trestle 5 (1.2 model)]: trestle 3's model leaves the selection's choice optional.
    expect(verdicts).toEqual({ exclusionOnly: [true, false], urn: [false, true] });
  });

  it('index.json and the report describe the window: bundles, evidence with its controls, status per control, failures, SoA', async () => {
    const index = JSON.parse(await readFile(path.join(pack, 'index.json'), 'utf8'));
    expect(index.bundles.map((b: { sequence: number }) => b.sequence)).toEqual([2, 3, 4]);
    expect(index.segment).toMatchObject({ fromSequence: 2, toSequence: 4, previousDigest: result.previousDigest });
    expect(index.evaluation.controls).toHaveLength(38);
    // The management-system clauses, evaluated at the same time; never in the SoA (Annex A only).
    expect(index.evaluation.clauses.map((c: { id: string }) => c.id)).toEqual(
      loadClauseCatalog().controls.map((c) => c.id),
    );
    expect(index.statementOfApplicability.some((s: { control: string }) => !s.control.startsWith('A.'))).toBe(false);
    expect(index.evaluation.asOf).toBe(window.to.toISOString());
    expect(index.timeline.points).toEqual([
      '2026-02-01T00:00:00.000Z',
      '2026-03-01T00:00:00.000Z',
      '2026-04-01T00:00:00.000Z',
      '2026-04-30T23:59:59.999Z',
    ]);
    const raci = index.artifacts.filter((a: { id: string }) => a.id === 'docs:raci.csv');
    expect(raci).toHaveLength(3);
    expect(raci[0]).toMatchObject({ controls: expect.arrayContaining(['A.3.2']), bundles: [4], state: 'present' });
    expect(index.collectionFailures).toEqual([
      expect.objectContaining({
        sequence: 3,
        source: 'jira',
        status: 'failed',
        error: 'AuthError: HTTP 401 from the Jira API',
      }),
    ]);
    expect(index.statementOfApplicability.find((s: { control: string }) => s.control === 'A.10.4')).toMatchObject({
      applicable: false,
      justification: notApplicable[0]!.justification,
      soa: notApplicable[0]!.soa,
    });

    const summary = await readFile(path.join(pack, 'report', 'index.html'), 'utf8');
    expect(summary.match(/<tr data-control="/g)).toHaveLength(38);
    expect(summary.match(/<tr data-clause="/g)).toHaveLength(27);
    expect(summary.indexOf('<h2>Management-system clauses</h2>')).toBeGreaterThan(summary.indexOf('id="controls"'));
    expect(summary).toContain(notApplicable[0]!.justification);
    expect(summary).toContain('Statement of Applicability v2026.1, approved by J. Doe (CEO) on 2026-01-05');
    expect(summary).toContain('AuthError: HTTP 401 from the Jira API');
    expect(summary).not.toMatch(/<script|<link|\bsrc=|@import|url\(/i); // self-contained: nothing to fetch, no JS
    const page = await readFile(path.join(pack, 'report', 'controls', 'A.3.2.html'), 'utf8');
    expect(page).toContain('<svg');
    const links = [...page.matchAll(/class="blob" href="([^"]+)"/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(0);
    for (const l of links) expect(existsSync(path.resolve(pack, 'report', 'controls', l))).toBe(true);
    expect(page).toContain(blobOf('system,owner\nchatbot,alice\n'));
  });

  it('a narrower control glob narrows the report, not the bundles; an empty window still makes a verifiable pack', async () => {
    const out = path.join(dir, 'a6.tar.gz');
    const narrow = await exportAuditPack(fixture.hub, { key: fixture.key, ...window, controls: 'A.6.*', out, now });
    expect(narrow.bundles).toEqual([2, 3, 4]);
    expect(narrow.controls).toBe(9);
    const list = sh(`tar tzf '${out}'`, dir).stdout;
    expect(list.match(/report\/controls\//g)).toHaveLength(9);

    // A window from the start of the chain: the anchor is null, and the script and verify agree.
    const firstOut = path.join(dir, 'first.tar.gz');
    const first = await exportAuditPack(fixture.hub, {
      key: fixture.key,
      from: new Date('2026-01-01T00:00:00Z'),
      to: new Date('2026-02-28T23:59:59.999Z'),
      out: firstOut,
      now,
    });
    expect(first).toMatchObject({ bundles: [1, 2], fromSequence: 1, previousDigest: null });
    await extract(firstOut, path.join(dir, 'first'));
    const firstRoot = path.join(dir, 'first', 'first');
    const firstRun = await runPackScript(firstRoot, fixture.fingerprint);
    expect(firstRun.stdout).toMatch(scriptOk);
    expect(firstRun.code).toBe(0);
    expect(await verifyStore(await FilesystemStore.openExisting(firstRoot))).toMatchObject({
      ok: true,
      bundlesChecked: 2,
      segment: { fromSequence: 1, previousDigest: null },
    });

    const emptyOut = path.join(dir, 'may.tar.gz');
    const empty = await exportAuditPack(fixture.hub, {
      key: fixture.key,
      from: new Date('2026-05-01T00:00:00Z'),
      to: new Date('2026-05-31T23:59:59.999Z'),
      out: emptyOut,
      now,
    });
    expect(empty).toMatchObject({ bundles: [], fromSequence: 5, blobs: 0 });
    await extract(emptyOut, path.join(dir, 'empty'));
    const report = await verifyStore(await FilesystemStore.openExisting(path.join(dir, 'empty', 'may')), {
      trust: [fixture.fingerprint],
    });
    expect(report).toMatchObject({ ok: true, authenticated: true, bundlesChecked: 0 });
    expect(empty).toMatchObject({ toSequence: 4, headDigest: sha256Hex((await fixture.store.readManifest(4))!) });
    const emptyRun = await runPackScript(path.join(dir, 'empty', 'may'), fixture.fingerprint);
    expect(emptyRun.stdout).toMatch(scriptOk);
    expect(emptyRun.code).toBe(0);
  });

  it('blobs deleted by retention travel as their signed tombstones, which verify and the script accept', async () => {
    const pruned = await auditStore(path.join(dir, 'pruned-store'));
    // Retention deletes the blobs only bundles #1 and #2 use (e.g. February's drift report), keeping manifests.
    const report = await prune(pruned.store, pruned.key, {
      before: new Date('2026-03-01T00:00:00Z'),
      lookBackMs: 0,
      now: new Date('2026-03-01T00:00:00Z'),
    });
    expect(report.blobsDeleted).toContain(blobOf('drift report 2\n'));
    const out = path.join(dir, 'pruned.tar.gz');
    const r = await exportAuditPack(pruned.hub, { key: pruned.key, ...window, out, now });
    expect(r.tombstones).toBeGreaterThan(0);
    expect(r.problems).toEqual([]);
    await extract(out, path.join(dir, 'pruned-x'));
    const root = path.join(dir, 'pruned-x', 'pruned');
    expect(existsSync(path.join(root, 'tombstones', `${blobOf('drift report 2\n')}.json`))).toBe(true);
    expect(await verifyStore(await FilesystemStore.openExisting(root))).toMatchObject({
      ok: true,
      blobsPruned: r.tombstones,
      problems: [],
    });
    const prunedRun = await runPackScript(root, pruned.fingerprint);
    expect(prunedRun.stdout).toMatch(scriptOk);
    expect(prunedRun.code).toBe(0);
    const page = await readFile(path.join(root, 'report', 'controls', 'A.6.2.6.html'), 'utf8');
    expect(page).toContain('deleted by retention (signed tombstone)');
  });

  it('a .zip pack holds the same files, byte for byte, and verifies after unzipping (Python zipfile as the reader)', async () => {
    const zip = path.join(dir, 'out', 'audit-2026-q1.zip');
    const z = await exportAuditPack(fixture.hub, { key: fixture.key, ...window, out: zip, now });
    expect(z).toMatchObject({
      format: 'zip',
      root: 'audit-2026-q1',
      bundles: result.bundles,
      blobs: result.blobs,
      files: result.files,
    });
    const into = path.join(dir, 'zip-x');
    const py = spawnSync(
      process.env['EVIDENCE_HUB_PYTHON'] ?? 'python3',
      [
        '-c',
        'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nz.extractall(sys.argv[2])',
        zip,
        into,
      ],
      { encoding: 'utf8' },
    );
    expect(py.stderr).toBe('');
    const root = path.join(into, 'audit-2026-q1');
    // Same tree, same bytes as the tar.gz of the same window.
    expect(sh('find . -type f | sort | xargs sha256sum', root).stdout).toBe(
      sh('find . -type f | sort | xargs sha256sum', pack).stdout,
    );
    expect(await verifyStore(await FilesystemStore.openExisting(root))).toMatchObject({ ok: true, problems: [] });
    const zipRun = await runPackScript(root, fixture.fingerprint);
    expect(zipRun.stdout).toMatch(scriptOk);
    expect(zipRun.code).toBe(0);
  });

  it('refuses what it cannot do before writing anything: an unknown archive name, an inverted window, a window cut by out-of-order seal times', async () => {
    const rar = path.join(dir, 'pack.rar');
    await expect(exportAuditPack(fixture.hub, { key: fixture.key, ...window, out: rar, now })).rejects.toThrow(
      /must end in \.tar\.gz, \.tgz or \.zip/,
    );
    expect(existsSync(rar)).toBe(false);
    await expect(
      exportAuditPack(fixture.hub, {
        key: fixture.key,
        from: window.to,
        to: window.from,
        out: path.join(dir, 'bad.tar.gz'),
        now,
      }),
    ).rejects.toBeInstanceOf(ExportError);
    await expect(
      exportAuditPack(fixture.hub, {
        key: fixture.key,
        ...window,
        controls: 'B.*',
        out: path.join(dir, 'bad.tar.gz'),
        now,
      }),
    ).rejects.toThrow(/matches none/);

    // Bundle #2 was sealed by a worker whose clock ran behind: it falls outside a window that holds #1 and #3.
    const skewed = await FilesystemStore.open(await tempDir());
    const key = newKey();
    const mappings = fixture.hub.mappings;
    await writeBundle(skewed, key, mappings, 's1', { 'raci.csv': 'a' }, new Date('2026-02-10T10:00:00Z'));
    await writeBundle(skewed, key, mappings, 's2', { 'raci.csv': 'b' }, new Date('2026-01-31T23:59:00Z'));
    await writeBundle(skewed, key, mappings, 's3', { 'raci.csv': 'c' }, new Date('2026-02-12T10:00:00Z'));
    const out = path.join(dir, 'skewed.tar.gz');
    await expect(
      exportAuditPack({ store: skewed, mappings, notApplicable }, { ...window, out, now, key }),
    ).rejects.toThrow(/#1 and #3 .* #2 \(sealed 2026-01-31T23:59:00\.000Z\) between them is not/);
    expect(existsSync(out)).toBe(false);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('runExport (the CLI command) parses dates, prints where the pack is and how to check it', async () => {
    const lines: string[] = [];
    const errors: string[] = [];
    const out = path.join(dir, 'cli', 'pack.tar.gz');
    const code = await runExport(
      fixture.hub,
      { from: '2026-02-01', to: '2026-04-30', out },
      { out: (s) => lines.push(s), err: (s) => errors.push(s) },
    );
    expect(errors).toEqual([]);
    expect(code).toBe(0);
    expect(lines[0]).toMatch(
      /^wrote .*pack\.tar\.gz: bundles #2\.\.#4 \(3\), \d+ blob\(s\), \d+ file\(s\); 38 control\(s\): /,
    );
    expect(lines.join('\n')).toContain(`evidence-hub verify ${path.join(dir, 'cli', 'pack')}`);
    await expect(
      runExport(fixture.hub, { from: 'yesterday', to: '2026-04-30', out }, { out: () => {}, err: () => {} }),
    ).rejects.toBeInstanceOf(UsageError);
    await expect(
      runExport(
        fixture.hub,
        { from: '2026-02-01', to: '2026-04-30', out: path.join(dir, 'x.7z') },
        { out: () => {}, err: () => {} },
      ),
    ).rejects.toBeInstanceOf(UsageError);
    const zipLines: string[] = [];
    expect(
      await runExport(
        fixture.hub,
        { from: '2026-02-01', to: '2026-04-30', out: path.join(dir, 'cli', 'pack.zip') },
        { out: (s) => zipLines.push(s), err: () => {} },
      ),
    ).toBe(0);
    expect(zipLines.join('\n')).toContain(
      `check it: unzip ${path.join(dir, 'cli', 'pack.zip')} -d ${path.join(dir, 'cli')} && evidence-hub verify ${path.join(dir, 'cli', 'pack')}`,
    );
  });

  it.skipIf(!hasChromium)(
    'prints the summary page, with every reason, to an A4 PDF with headless Chromium when asked (--paper letter for US Letter)',
    async () => {
      const pdf = path.join(dir, 'summary.pdf');
      const r = await exportAuditPack(fixture.hub, {
        key: fixture.key,
        ...window,
        out: path.join(dir, 'with-pdf.tar.gz'),
        pdf,
        now,
      });
      expect(r.pdfError).toBeUndefined();
      expect(r.pdf).toBe(pdf);
      expect((await readFile(pdf)).subarray(0, 5).toString('latin1')).toBe('%PDF-');
      expect((await stat(pdf)).size).toBeGreaterThan(10_000);
      // A4 by default (595 x 842 pt), on every page.
      const boxes = await mediaBoxes(pdf);
      expect(boxes.length).toBeGreaterThan(1);
      for (const [w, h] of boxes) {
        expect(w).toBeCloseTo(595, 0);
        expect(h).toBeCloseTo(842, 0);
      }
      // What it prints: the summary with each control's reason (the text is compressed inside the PDF; the
      // browser test checks these reasons and unbroken dates laid out at A4 width).
      const { model } = await buildPackModel(fixture.hub, { ...window, now });
      const printed = renderSummary(model);
      for (const c of model.controls)
        expect(printed).toContain(`<div class="reason small" data-reason>${esc(c.result.reason)}</div>`);

      // The CLI's --paper letter: US Letter (612 x 792 pt); an unknown size is a usage error.
      const letter = path.join(dir, 'letter.pdf');
      const cli = { from: '2026-02-01', to: '2026-04-30', out: path.join(dir, 'cli', 'letter.tar.gz'), pdf: letter };
      const quiet = { out: () => {}, err: () => {} };
      expect(await runExport(fixture.hub, { ...cli, paper: 'letter' }, quiet)).toBe(0);
      for (const [w, h] of await mediaBoxes(letter)) expect([w, h]).toEqual([612, 792]);
      await expect(runExport(fixture.hub, { ...cli, paper: 'a3' }, quiet)).rejects.toThrow(
        /--paper must be one of a4, letter/,
      );
    },
  );

  // Runs on every machine, with or without a browser: CHROMIUM_PATH points nowhere, as on a host without one.
  it('without Chromium (CHROMIUM_PATH pointing nowhere) the PDF is reported missing and the archive is still written', async () => {
    const saved = process.env['CHROMIUM_PATH'];
    process.env['CHROMIUM_PATH'] = path.join(dir, 'no-such-dir', 'chromium');
    try {
      const r = await exportAuditPack(fixture.hub, {
        key: fixture.key,
        ...window,
        out: path.join(dir, 'no-pdf.tar.gz'),
        pdf: path.join(dir, 'no.pdf'),
        now,
      });
      expect(r.pdf).toBeUndefined();
      expect(r.pdfError).toBe(
        `PDF output needs Chromium at ${process.env['CHROMIUM_PATH']} (Debian: apt-get install chromium, or set CHROMIUM_PATH)`,
      );
      expect(existsSync(path.join(dir, 'no.pdf'))).toBe(false);
      expect((await stat(path.join(dir, 'no-pdf.tar.gz'))).size).toBeGreaterThan(0);
      // The explicit option wins over the environment, and fails the same way.
      const r2 = await exportAuditPack(fixture.hub, {
        key: fixture.key,
        ...window,
        out: path.join(dir, 'no-pdf-2.tar.gz'),
        pdf: path.join(dir, 'no-2.pdf'),
        chromium: '/nonexistent/chromium',
        now,
      });
      expect(r2.pdfError).toMatch(/needs Chromium at \/nonexistent\/chromium /);
      expect(existsSync(path.join(dir, 'no-pdf-2.tar.gz'))).toBe(true);
    } finally {
      if (saved === undefined) delete process.env['CHROMIUM_PATH'];
      else process.env['CHROMIUM_PATH'] = saved;
    }
  });
});
