import type { AlertsConfig } from '../alerts/config';
import type { SourceConfig } from '../connectors';
import type { RedactionConfig } from '../evidence/redaction';
import type { WitnessConfig } from '../evidence/witness/config';
import type { AuditCalendar } from '../mappings/readiness';

/**
 * The part of the loaded configuration the activities read. config/ sits above activities (it assembles the
 * file format and belongs to the bootstrap), so activities name what they need here and the worker hands
 * them its LoadedConfig, which has this shape.
 */
export interface ActivityConfig {
  /** The config file, named in errors about unknown sources. */
  file: string;
  /** Relative paths and secret files resolve against it. */
  baseDir: string;
  sources: readonly SourceConfig[];
  redaction: RedactionConfig;
  alerts?: AlertsConfig | undefined;
  witness?: WitnessConfig | undefined;
  /** The audit calendar: the monitor's readiness digests (activities/readiness-digest.ts). */
  audits?: AuditCalendar | undefined;
  signing: { trustedKeys?: readonly string[] | undefined };
  /**
   * `console.publicUrl`: alerts link each control's console page (alerts/details.ts); `console.slack`: the
   * Slack app answers the stale alerts' "Re-collect now" button (alerts/recollect-button.ts).
   */
  console?: { publicUrl?: string | undefined; slack?: object | undefined } | undefined;
}
