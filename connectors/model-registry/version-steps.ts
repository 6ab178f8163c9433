import { z } from 'zod';
import { sha256Hex } from '../../core/digest';
import { jsonValueSchema, type JsonValue } from '../../core/json';
import type { CollectOptions, CollectionStep } from '../types';
import { modelVersionArtifact, rebuiltVersionArtifact, toStep } from './artifacts';
import { isProduction, type Emitted, type RegistryContext } from './context';
import { lineageArtifact } from './lineage';
import { cardArtifact, versionDetails } from './model-cards';
import { productionStateArtifact } from './production-state';
import {
  compareCursors,
  contentFingerprint,
  versionFingerprint,
  type Cursor,
  type Designation,
  type ModelState,
  type VersionState,
} from './state';
import { approvalArtifact, approvalOf, carriedState, currentDesignations, transitionArtifacts } from './timeline';
import type { RegistryModel, RegistryModelVersion, VersionDetails } from './types';

/** One model's collection in one run: what every version's steps need to know besides the version. */
export interface ModelPass {
  cx: RegistryContext;
  model: RegistryModel;
  prevModel: ModelState | undefined;
  /** When the previous sealed run collected (for `changedAfter`). */
  prevAt: number | undefined;
  /** The options changed: every version is collected again. */
  forceAll: boolean;
  resume: Cursor | undefined;
  now: number;
  options: CollectOptions;
}

/** The production-state record comes after every other artifact of its version (resume order). */
const productionStateSeq = 1_000_000;

const storedVersionSchema = z.object({ attributes: z.record(z.string(), jsonValueSchema), run: jsonValueSchema });

/**
 * The steps of one listed version, and its next state. Unchanged versions yield nothing but, when in
 * production, their `production-state`. A version whose tags or aliases alone changed is re-recorded from
 * its previous record (no run, no card listing, no card download); otherwise its run and cards are read.
 */
export async function* versionSteps(
  p: ModelPass,
  v: RegistryModelVersion,
): AsyncGenerator<CollectionStep, VersionState> {
  const { cx, model, now, options } = p;
  const after = (c: Cursor) => p.resume === undefined || compareCursors(c, p.resume) > 0;
  const prevV = p.prevModel?.versions[v.version];
  const fp = versionFingerprint(v);
  const cfp = contentFingerprint(v);
  const production = isProduction(cx.opts.production, v);
  const sameListing = !p.forceAll && prevV !== undefined && prevV.fp === fp;
  // A production-state needs the gaps; a state written by an older collector may lack them.
  const gapsKnown = !production || prevV?.gaps !== undefined;
  function* productionState(designations: Record<string, Designation>, gaps: readonly string[]) {
    if (!production) return;
    const cursor: Cursor = [model.name, v.version, productionStateSeq];
    if (after(cursor)) yield toStep(cx, cursor, productionStateArtifact(cx, v, designations, gaps, now));
  }

  if (sameListing && !prevV.recheck && gapsKnown) {
    cx.counters.versionsUnchanged++;
    yield* productionState(prevV.designations, prevV.gaps ?? []);
    return prevV;
  }
  if (p.resume !== undefined && compareCursors([model.name, v.version, Number.MAX_SAFE_INTEGER], p.resume) <= 0) {
    // Done by the interrupted attempt. Its gaps are unknown here, so a production version is rechecked next run.
    cx.counters.versionsSkippedOnResume++;
    return sameListing
      ? prevV
      : { ...carriedState(v, fp, prevV, now, production, approvalOf(cx, v)), cfp, approval: approvalOf(cx, v) };
  }
  // Only tags or aliases changed, and the previous record can be read back: no need to read the run again
  // (a production version with gaps is read anyway, to see whether they were filled).
  const relistable =
    !p.forceAll &&
    prevV?.cfp === cfp &&
    prevV.versionSha !== undefined &&
    prevV.gaps !== undefined &&
    options.openStoredBlob !== undefined;
  let details: VersionDetails | undefined;
  if (!relistable || prevV.recheck) details = await versionDetails(cx, v, options.signal);
  if (details && sameListing && prevV.recheck && prevV.content === details.content && gapsKnown) {
    cx.counters.versionsRechecked++;
    yield* productionState(prevV.designations, prevV.gaps ?? []);
    return prevV;
  }

  const listingTimed = !prevV || prevV.updatedAt !== v.updatedAt;
  const observedAt = listingTimed && v.updatedAt !== undefined ? v.updatedAt : now;
  const observedAtFrom = listingTimed && v.updatedAt !== undefined ? 'last_updated_timestamp' : 'collection';
  const designations = currentDesignations(v, prevV, listingTimed, now, approvalOf(cx, v));
  let seq = 0;
  const emit = (meta: Emitted | undefined) => {
    if (!meta) return undefined;
    const cursor: Cursor = [model.name, v.version, seq++];
    return after(cursor) ? toStep(cx, cursor, meta) : undefined;
  };

  const previous =
    relistable && (details === undefined || details.content === prevV.content)
      ? await readPrevious(options, prevV.versionSha!)
      : undefined;
  let versionMeta: Emitted;
  let gaps: string[];
  let content: string | undefined;
  const steps: (CollectionStep | undefined)[] = [];
  if (previous) {
    cx.counters.versionsRelisted++;
    versionMeta = rebuiltVersionArtifact(cx, v, model, previous, observedAt, observedAtFrom);
    gaps = prevV!.gaps!;
    content = prevV!.content;
    steps.push(emit(versionMeta));
  } else {
    details ??= await versionDetails(cx, v, options.signal);
    cx.counters.versionsCollected++;
    const built = modelVersionArtifact(cx, v, model, details, observedAt, observedAtFrom);
    versionMeta = built.artifact;
    gaps = built.gaps;
    content = details.content;
    steps.push(emit(versionMeta));
    if (details.run) steps.push(emit(lineageArtifact(cx, v, details.run, observedAt)));
  }
  for (const s of steps) if (s) yield s;
  if (!previous && details) {
    for (const card of details.cards) {
      const cursor: Cursor = [model.name, v.version, seq++];
      if (!after(cursor)) continue;
      const meta = await cardArtifact(cx, v, card, details.run, observedAt, options.log, options.signal);
      if (meta) yield toStep(cx, cursor, meta);
    }
  }
  for (const t of transitionArtifacts(cx, v, designations, prevV, p.prevAt, now, false, p.forceAll)) {
    const s = emit(t);
    if (s) yield s;
  }
  const approved = emit(approvalArtifact(cx, v, prevV, p.prevAt, now));
  if (approved) yield approved;
  yield* productionState(designations, gaps);

  const body = versionMeta.body;
  return {
    fp,
    cfp,
    stage: v.stage,
    aliases: v.aliases,
    ...(v.updatedAt !== undefined ? { updatedAt: v.updatedAt } : {}),
    designations,
    ...(content !== undefined ? { content } : {}),
    gaps,
    versionSha: sha256Hex(typeof body === 'string' ? Buffer.from(body, 'utf8') : body),
    approval: approvalOf(cx, v),
    ...(production && gaps.length > 0 ? { recheck: true } : {}),
  };
}

/**
 * `left` records for versions the registry no longer lists (deleted, or their model deleted): the
 * designations they held at the previous run, production ones marked `leftProduction`.
 */
export function* deletedVersionSteps(p: ModelPass, version: string, prevV: VersionState): Generator<CollectionStep> {
  const ghost: RegistryModelVersion = {
    model: p.model.name,
    version,
    stage: prevV.stage,
    aliases: prevV.aliases,
    tags: {},
    raw: null,
    endpoint: p.model.endpoint,
  };
  let seq = 0;
  for (const t of transitionArtifacts(p.cx, ghost, {}, prevV, p.prevAt, p.now, true)) {
    const cursor: Cursor = [p.model.name, version, seq++];
    if (p.resume === undefined || compareCursors(cursor, p.resume) > 0) yield toStep(p.cx, cursor, t);
  }
}

/** The previous model-version record from the store; undefined when it cannot be read (then the run is read). */
async function readPrevious(
  options: CollectOptions,
  sha: string,
): Promise<{ attributes: Record<string, JsonValue>; run: JsonValue } | undefined> {
  try {
    const chunks: Buffer[] = [];
    for await (const c of options.openStoredBlob!(sha)) chunks.push(Buffer.from(c as Uint8Array));
    const parsed = storedVersionSchema.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
