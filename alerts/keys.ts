import { sha256Hex } from '../core/digest';
import type { ControlStatus } from '../mappings/evaluate';
import type { ItemKind, MessageKind } from './types';

/**
 * Idempotency keys. Deterministic: anchored on state (status since, last notice), never on the wall
 * clock, so a retried or replayed run computes the same keys and can tell what it already posted.
 */
const keyOf = (parts: unknown[]) => sha256Hex(JSON.stringify(parts));

/** Key of one control's transition. */
export function itemKey(
  kind: ItemKind,
  channel: string,
  control: string,
  from: ControlStatus | undefined,
  fromSince: string | undefined,
  to: ControlStatus,
  anchor = '',
): string {
  return keyOf(['evidence-hub/alert-item@1', kind, channel, control, from ?? '', fromSince ?? '', to, anchor]);
}

/** Key of one message: its channel, thread, kind and the keys of the items it carries. */
export function messageKey(
  channel: string,
  threadTs: string | undefined,
  kind: MessageKind,
  itemKeys: readonly string[],
): string {
  return keyOf(['evidence-hub/alert-message@1', channel, threadTs ?? '', kind, [...itemKeys].sort()]);
}
