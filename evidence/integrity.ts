import { z } from 'zod';
import { sha256Hex } from '../core/digest';
import type { EvidenceStore } from './store';
import { verifyStore, type ProblemCode, type VerifyOptions, type VerifyProblem } from './verify';

/**
 * The integrity monitor's check (workflows/integrity.ts runs it on a Temporal Schedule). An incremental run
 * verifies the bundles sealed after the last verified sequence: their manifests, chain links, signatures,
 * trust, Merkle roots and blobs. Every run also checks all signed checkpoints and witnesses (small files),
 * so a manifest altered after its checkpoint shows as `forked` even when its blobs are not re-hashed, and
 * confirms the last verified manifest is still the one verified (`forked`) and still there (`truncated`).
 * A full run re-hashes every blob of every bundle.
 *
 * The result lives in `integrity/state.json` in the store: operational, not evidence (like the witness
 * and alert states). A lost or unreadable state only means the next run starts from the beginning.
 */
export const integrityStateFormat = 'evidence-hub/integrity-state@1';

const runSchema = z.strictObject({
  at: z.string(),
  mode: z.enum(['incremental', 'full']),
  /** The bundles checked in depth: `fromSequence`..`toSequence` (from > to: no new bundle). */
  fromSequence: z.number().int().positive(),
  toSequence: z.number().int().nonnegative(),
  bundlesChecked: z.number().int().nonnegative(),
  blobsChecked: z.number().int().nonnegative(),
  ok: z.boolean(),
  /** Failing problem classes and how often each occurred. */
  problems: z.record(z.string(), z.number().int().positive()),
  /** Warning classes (e.g. `witness-missing` while a witness catches up); they do not fail the run. */
  warnings: z.record(z.string(), z.number().int().positive()).default({}),
  /** The first few problem messages, for `monitor`. */
  examples: z.array(z.string()).default([]),
});

const integrityStateSchema = z.strictObject({
  format: z.literal(integrityStateFormat),
  /** Every bundle up to here verified; the next incremental run starts after it. */
  verifiedThrough: z.number().int().nonnegative(),
  /** The manifest digest at `verifiedThrough`, so a later run notices it was replaced. */
  verifiedDigest: z.string().optional(),
  lastFullAt: z.string().optional(),
  last: runSchema.optional(),
});

export type IntegrityRun = z.infer<typeof runSchema>;
export type IntegrityState = z.infer<typeof integrityStateSchema>;

export async function readIntegrityState(store: EvidenceStore): Promise<IntegrityState | undefined> {
  const raw = await store.readIntegrityState();
  if (!raw) return undefined;
  try {
    return integrityStateSchema.parse(JSON.parse(raw.toString('utf8')));
  } catch {
    return undefined; // operational state: the next run starts from the beginning
  }
}

async function writeIntegrityState(store: EvidenceStore, state: IntegrityState): Promise<void> {
  await store.writeIntegrityState(Buffer.from(JSON.stringify(state, null, 2) + '\n'));
}

export interface IntegrityOptions {
  full: boolean;
  now: Date;
  /** Pinned fingerprints (signing.trustedKeys). */
  trust?: readonly string[];
  witnesses?: VerifyOptions['witnesses'];
}

const maxExamples = 5;

/** Verifies (incrementally unless `full`), records the run in `integrity/state.json` and returns it. */
export async function verifyIntegrity(store: EvidenceStore, options: IntegrityOptions): Promise<IntegrityRun> {
  const previous = await readIntegrityState(store).catch(() => undefined);
  const from = options.full ? 1 : (previous?.verifiedThrough ?? 0) + 1;
  const all = await store.sequences();
  const head = all.at(-1) ?? 0;
  const extra: VerifyProblem[] = [];
  if (previous && previous.verifiedThrough > head) {
    extra.push({
      code: 'truncated',
      sequence: previous.verifiedThrough,
      message: `bundle #${previous.verifiedThrough} was verified on ${previous.last?.at ?? 'an earlier run'}, the chain now ends at #${head}`,
    });
  } else if (previous?.verifiedDigest && previous.verifiedThrough > 0) {
    const bytes = await store.readManifest(previous.verifiedThrough);
    if (bytes && sha256Hex(bytes) !== previous.verifiedDigest) {
      extra.push({
        code: 'forked',
        sequence: previous.verifiedThrough,
        message: `the manifest of bundle #${previous.verifiedThrough} is not the one verified on ${previous.last?.at ?? 'an earlier run'}`,
      });
    }
  }
  const sequences = all.filter((s) => s >= from);
  const report = await verifyStore(store, {
    ...(options.full ? {} : { sequences }),
    trust: options.trust ?? [],
    // Nothing verified yet and nothing sealed: a new deployment, not a failure. A chain that was verified
    // and is gone now is `truncated` above.
    allowEmpty: (previous?.verifiedThrough ?? 0) === 0,
    ...(options.witnesses ? { witnesses: options.witnesses } : {}),
  });
  const problems = [...extra, ...report.problems];
  const failing = problems.filter((p) => p.level !== 'warning');
  const run: IntegrityRun = {
    at: options.now.toISOString(),
    mode: options.full ? 'full' : 'incremental',
    fromSequence: from,
    toSequence: head,
    bundlesChecked: report.bundlesChecked,
    blobsChecked: report.blobsChecked,
    ok: failing.length === 0,
    problems: countBy(failing.map((p) => p.code)),
    warnings: countBy(problems.filter((p) => p.level === 'warning').map((p) => p.code)),
    examples: failing.slice(0, maxExamples).map((p) => p.message),
  };
  const headBytes = head > 0 ? await store.readManifest(head) : undefined;
  const state: IntegrityState = {
    format: integrityStateFormat,
    // Only a clean run moves the mark: a failure is checked (and alerted) again until it is resolved.
    verifiedThrough: run.ok ? head : (previous?.verifiedThrough ?? 0),
    ...(run.ok
      ? headBytes
        ? { verifiedDigest: sha256Hex(headBytes) }
        : {}
      : previous?.verifiedDigest
        ? { verifiedDigest: previous.verifiedDigest }
        : {}),
    ...(options.full && run.ok
      ? { lastFullAt: run.at }
      : previous?.lastFullAt
        ? { lastFullAt: previous.lastFullAt }
        : {}),
    last: run,
  };
  await writeIntegrityState(store, state);
  return run;
}

function countBy(codes: ProblemCode[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of codes) out[c] = (out[c] ?? 0) + 1;
  return out;
}

/** One line for `monitor` / logs: when, which mode, which range, ok or which problems. */
export function renderIntegrityRun(state: IntegrityState | undefined): string[] {
  const r = state?.last;
  if (!r) return ['integrity: never verified (the integrity schedule has not run yet)'];
  const range = r.fromSequence > r.toSequence ? 'no new bundle' : `bundles #${r.fromSequence}..#${r.toSequence}`;
  const head = `integrity: last ${r.mode} verification ${r.at}, ${range} (${r.bundlesChecked} bundle(s), ${r.blobsChecked} blob(s))`;
  const lines = r.ok
    ? [`${head}: ok; verified through #${state.verifiedThrough}`]
    : [
        `${head}: FAILED: ${Object.entries(r.problems)
          .map(([c, n]) => `${c} x${n}`)
          .join(', ')}`,
        ...r.examples.map((m) => `  ${m}`),
      ];
  const warnings = Object.entries(r.warnings);
  if (warnings.length > 0) lines.push(`  warnings: ${warnings.map(([c, n]) => `${c} x${n}`).join(', ')}`);
  lines.push(`  last clean full verification: ${state.lastFullAt ?? 'never'}`);
  return lines;
}
