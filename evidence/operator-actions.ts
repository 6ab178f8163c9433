import { randomBytes } from 'node:crypto';
import { operatorActionSchema, type OperatorAction, type OperatorActionInput } from './operator-action-schema';
import { parseManifest } from './manifest';
import type { EvidenceStore } from './store';

export { operatorActionSchema, type OperatorAction, type OperatorActionInput } from './operator-action-schema';

/**
 * Operator actions: what people did through the console (started or cancelled a sweep, filed a record,
 * exported an audit pack). Each action is appended to the store's operator-action log as its own object
 * (`operator-actions/pending/<id>.json`, never overwritten), and the next sealed bundle records every
 * pending action in its manifest (`operatorActions`), so the signature over the manifest covers them and
 * the audit trail includes the console. After the commit the recorded actions leave the pending log.
 */

export function newOperatorActionId(at: Date): string {
  const stamp = at.toISOString().replace(/[-:.]/g, '');
  return `${stamp}-${randomBytes(6).toString('hex')}`;
}

/** Appends one action to the store's pending log; returns it as recorded. */
export async function logOperatorAction(
  store: EvidenceStore,
  input: OperatorActionInput,
  at = new Date(),
): Promise<OperatorAction> {
  const action = operatorActionSchema.parse({ ...input, id: newOperatorActionId(at), at: at.toISOString() });
  if (!(await store.putOperatorAction(action.id, Buffer.from(JSON.stringify(action)))))
    throw new Error(
      `operator action ${action.id} already exists in the operator-action log of ${store.location}: the log is append-only, an action is never replaced; log it again (a new id is drawn each time)`,
    );
  return action;
}

/**
 * The pending actions, oldest first. An entry that does not parse is skipped, never sealed: the log is
 * written only by the console, so a broken entry is damage, and sealing must not stop for it.
 */
export async function pendingOperatorActions(store: EvidenceStore): Promise<OperatorAction[]> {
  const out: OperatorAction[] = [];
  for (const { body } of await store.listOperatorActions()) {
    try {
      const parsed = operatorActionSchema.safeParse(JSON.parse(body.toString('utf8')));
      if (parsed.success) out.push(parsed.data);
    } catch {
      // not JSON: skipped (see above)
    }
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * What `verify` checks of a manifest's operator actions beyond the signature (which covers their bytes):
 * unique ids (also across the bundles verified so far: `earlier` maps an id to the bundle that recorded it,
 * and is filled in here), in time order, none after the bundle was sealed. Messages name the bundle and
 * the action.
 */
export function operatorActionProblems(
  m: { sequence: number; finishedAt: string; operatorActions?: OperatorAction[] | undefined },
  earlier: Map<string, number> = new Map(),
): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  let previous = '';
  for (const a of m.operatorActions ?? []) {
    if (seen.has(a.id)) problems.push(`bundle #${m.sequence}: operator action ${a.id} is recorded twice`);
    const before = earlier.get(a.id);
    if (before !== undefined && before !== m.sequence)
      problems.push(`bundle #${m.sequence}: operator action ${a.id} was already recorded in bundle #${before}`);
    seen.add(a.id);
    if (before === undefined) earlier.set(a.id, m.sequence);
    if (a.id < previous) problems.push(`bundle #${m.sequence}: operator action ${a.id} is out of order`);
    previous = a.id;
    if (Date.parse(a.at) > Date.parse(m.finishedAt))
      problems.push(`bundle #${m.sequence}: operator action ${a.id} is dated ${a.at}, after the bundle was sealed`);
  }
  return problems;
}

/**
 * How far before the oldest pending action `unsealedOperatorActions` still looks for a manifest recording
 * it: the console and the worker may run on hosts whose clocks differ a little.
 */
const clockSkewMarginMs = 60 * 60 * 1000;

/** What a seal may record, and the head it checked them against (see `notRecordedSince`). */
export interface UnsealedActions {
  actions: OperatorAction[];
  checkedThrough: number;
}

/**
 * The pending actions no committed manifest records yet, oldest first: what the next seal may record.
 *
 * A seal removes the actions it recorded only after its commit, so a crash in between leaves them pending
 * although a manifest holds them; if the bundle is never retried (the next sweep has a new bundle id), the
 * next seal would record them a second time. So the manifests sealed since the oldest pending action was
 * logged are read back (newest first, usually none or one), and an action one of them records is dropped
 * from the pending log here instead of being sealed again.
 */
export async function unsealedOperatorActions(store: EvidenceStore): Promise<UnsealedActions> {
  const checkedThrough = (await store.head())?.sequence ?? 0;
  const pending = await pendingOperatorActions(store);
  if (pending.length === 0) return { actions: [], checkedThrough };
  const since = Math.min(...pending.map((a) => Date.parse(a.at))) - clockSkewMarginMs;
  const recorded = new Set<string>();
  for (let seq = checkedThrough; seq > 0; seq--) {
    const bytes = await store.readManifest(seq);
    if (!bytes) break; // before a pruned segment's anchor: nothing older can record a pending action
    const manifest = parseManifest(bytes);
    for (const a of manifest.operatorActions ?? []) recorded.add(a.id);
    if (Date.parse(manifest.finishedAt) < since) break;
  }
  const sealed = pending.filter((a) => recorded.has(a.id)).map((a) => a.id);
  await store.removeOperatorActions(sealed);
  return { actions: pending.filter((a) => !recorded.has(a.id)), checkedThrough };
}

/**
 * The actions no manifest after `checkedThrough` (up to `head`) records. Another worker's seal may commit
 * between reading the log and this seal's commit, recording the same pending actions; the commit then
 * rebuilds on the new head, and these are dropped from the rebuilt manifest.
 */
export async function notRecordedSince(
  store: EvidenceStore,
  unsealed: UnsealedActions,
  head: number,
): Promise<OperatorAction[]> {
  if (unsealed.actions.length === 0 || head <= unsealed.checkedThrough) return unsealed.actions;
  const recorded = new Set<string>();
  for (let seq = unsealed.checkedThrough + 1; seq <= head; seq++) {
    const bytes = await store.readManifest(seq);
    for (const a of bytes ? (parseManifest(bytes).operatorActions ?? []) : []) recorded.add(a.id);
  }
  return unsealed.actions.filter((a) => !recorded.has(a.id));
}
