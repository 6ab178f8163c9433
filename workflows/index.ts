// Entry point bundled by the worker: every workflow type the task queue serves.
export { sweepWorkflow, collectBatchWorkflow, progressQuery, sourcesPerBatch } from './sweep';
export type { SweepInput, SweepResult, SweepProgress, SourceState, BatchInput, CollectRetry } from './sweep';
export { stalenessMonitorWorkflow, collectedSignal, monitorStatusQuery, monitorWorkflowId } from './monitor';
export type { MonitorInput, MonitorStatus } from './monitor';
export { integrityWorkflow, integrityWorkflowId } from './integrity';
export type { IntegrityInput } from './integrity';
export { workerConfigWorkflow, workerConfigWorkflowId } from './worker-config';
