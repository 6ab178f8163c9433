import type { JsonValue } from '../core/json';

/**
 * Where the staleness monitor keeps its alert state (what was announced, Slack thread ids). Operational,
 * not evidence: never signed or verified. Beside the evidence store rather than on it, so the evidence
 * contract stays about evidence; both stores implement it next to their evidence (alerts/state.json).
 * The alerting layer (alerts/) gives the JSON its meaning.
 */
export interface AlertStateStore {
  /** The state last written, or undefined when none was. */
  readAlertState(): Promise<JsonValue | undefined>;
  /** Replaces the state atomically: a reader sees the old state or the new one, never a mix. */
  writeAlertState(state: JsonValue): Promise<void>;
}
