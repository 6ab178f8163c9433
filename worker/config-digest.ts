import os from 'node:os';
import { summarizeConfig, type WorkerConfigInfo } from '../core/config-digest';
import type { WorkerConfigActivities } from '../workflows/worker-config';
import type { Hub } from './hub';

/**
 * The config a worker started with, as a summary (core/config-digest.ts): the loaded config plus the
 * mapping rules and the SoA it evaluates with, since a changed mapping file changes statuses too.
 */
export function workerConfigInfo(hub: Hub, startedAt = new Date()): WorkerConfigInfo {
  const summary = summarizeConfig({ ...hub.config, mappingRules: hub.mappings.rules, soaEntries: hub.notApplicable });
  return {
    ...summary,
    file: hub.config.file,
    startedAt: startedAt.toISOString(),
    host: os.hostname(),
    pid: process.pid,
  };
}

/** `describeWorkerConfig`: answers with the summary computed once at start. */
export function workerConfigActivities(info: WorkerConfigInfo): WorkerConfigActivities {
  return { describeWorkerConfig: async () => info };
}
