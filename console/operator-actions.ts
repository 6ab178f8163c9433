import type { Logger } from 'pino';
import { logOperatorAction, type OperatorAction, type OperatorActionInput } from '../evidence/operator-actions';
import type { EvidenceStore } from '../evidence/store';
import type { Principal } from './auth';

type Described = OperatorActionInput extends infer A
  ? A extends OperatorActionInput
    ? Omit<A, 'by' | 'role'>
    : never
  : never;

/**
 * Records a state-changing console action in the store's operator-action log: the next sealed bundle's
 * manifest carries it, signed (evidence/operator-actions.ts). Called after the action succeeded, so the
 * log says what happened, not what was attempted.
 */
export async function recordOperatorAction(
  store: EvidenceStore,
  log: Logger,
  who: Principal,
  action: Described,
): Promise<OperatorAction> {
  const recorded = await logOperatorAction(store, { ...action, by: who.name, role: who.role } as OperatorActionInput);
  log.info({ operatorAction: recorded.action, id: recorded.id, by: who.name }, 'operator action logged');
  return recorded;
}
