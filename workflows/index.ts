// Entry point bundled by the worker: every workflow type the task queue serves.
export { sweepWorkflow, progressQuery } from './sweep';
export type { SweepInput, SweepResult, SweepProgress, SourceState } from './sweep';
