import { randomBytes } from 'node:crypto';
import { operatorActionSchema, type OperatorAction, type OperatorActionInput } from './operator-action-schema';
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
  await store.putOperatorAction(action.id, Buffer.from(JSON.stringify(action)));
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
 * unique ids, in time order, none after the bundle was sealed. Messages name the bundle and the action.
 */
export function operatorActionProblems(m: {
  sequence: number;
  finishedAt: string;
  operatorActions?: OperatorAction[] | undefined;
}): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  let previous = '';
  for (const a of m.operatorActions ?? []) {
    if (seen.has(a.id)) problems.push(`bundle #${m.sequence}: operator action ${a.id} is recorded twice`);
    seen.add(a.id);
    if (a.id < previous) problems.push(`bundle #${m.sequence}: operator action ${a.id} is out of order`);
    previous = a.id;
    if (Date.parse(a.at) > Date.parse(m.finishedAt))
      problems.push(`bundle #${m.sequence}: operator action ${a.id} is dated ${a.at}, after the bundle was sealed`);
  }
  return problems;
}
