import type { SweepProgress } from '../workflows/sweep';

/**
 * What the console can do beyond reading the store: sweeps on Temporal, uploads into the manual source,
 * audit packs. The CLI wires each to its own command's code (cli/console-actions.ts), so the console does
 * exactly what `sweep`, `upload` and `export` do; the console adds the roles, CSRF and the operator log.
 */
export interface ConsoleActions {
  /** Configured source ids, for scoping a sweep. */
  sourceIds(): string[];
  /** Topics the mappings read from manual records (the upload form's suggestions). */
  uploadTopics(): string[];
  /** The audit calendar (`audits:`), for choosing an export window; empty when there is none. */
  audits(): { id: string; date: string; type: string }[];
  listSweeps(): Promise<SweepRow[]>;
  /** One sweep, with live progress while it runs; undefined when Temporal knows no such sweep. */
  sweep(workflowId: string): Promise<SweepView | undefined>;
  cancelSweep(workflowId: string): Promise<void>;
  upload(request: UploadRequest, by: string): Promise<UploadOutcome>;
  exportPack(request: ExportRequest): Promise<ExportOutcome>;
  /** The staleness monitor's alert state as stored (alerts/state.ts parses it); undefined when none yet. */
  readAlertState(): Promise<unknown>;
}

export type SweepStatus = 'running' | 'completed' | 'failed' | 'cancelled' | 'terminated' | 'timed-out' | 'other';

export interface SweepRow {
  workflowId: string;
  status: SweepStatus;
  startedAt: string;
  closedAt?: string | undefined;
  /** The bundle the sweep sealed, once it has. */
  bundle?: { sequence: number; bundleId: string } | undefined;
}

export interface SweepView extends SweepRow {
  /** The workflow's `progress` query (workflows/sweep.ts); absent when it could not be asked. */
  progress?: SweepProgress | undefined;
}

export interface UploadRequest {
  topic: string;
  /** The uploaded file's name (reduced to its last path segment before use). */
  filename: string;
  bytes: Buffer;
  /** yyyy-mm-dd the record took effect (default today). */
  date?: string | undefined;
  note?: string | undefined;
  source?: string | undefined;
}

export interface UploadOutcome {
  source: string;
  topic: string;
  file: string;
  sha256: string;
  effective: string;
  outcome: 'filed' | 'already-filed';
}

/** A window (`from`/`to`, dates or RFC 3339 times) or an audit of the calendar, never both. */
export interface ExportRequest {
  from?: string | undefined;
  to?: string | undefined;
  audit?: string | undefined;
  controls?: string | undefined;
}

export interface ExportOutcome {
  /** The archive on local disk, to stream to the client; `dispose` removes it. */
  file: string;
  filename: string;
  from: string;
  to: string;
  bundles: number[];
  fingerprint: string;
  dispose(): Promise<void>;
}
