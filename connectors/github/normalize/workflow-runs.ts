import { codeUnitOrder } from '../../../core/order';
import type { WorkflowRun } from '../api-schemas';
import { iso, sortedUnique, type Normalized } from './normalized';

export function normalizeRun(
  repository: string,
  workflow: string,
  run: WorkflowRun,
  artifacts: { name: string; size_in_bytes: number; expired: boolean; digest?: string | null | undefined }[],
): Normalized {
  const record = {
    repository,
    workflow,
    workflowPath: run.path,
    name: run.name ?? null,
    title: run.display_title ?? null,
    runId: run.id,
    runNumber: run.run_number,
    runAttempt: run.run_attempt ?? 1,
    event: run.event,
    headBranch: run.head_branch,
    headSha: run.head_sha,
    status: run.status,
    conclusion: run.conclusion,
    createdAt: iso(run.created_at),
    runStartedAt: run.run_started_at ? iso(run.run_started_at) : null,
    completedAt: iso(run.updated_at),
    actor: run.actor?.login ?? null,
    artifacts: artifacts
      .map((a) => ({ name: a.name, sizeInBytes: a.size_in_bytes, expired: a.expired, digest: a.digest ?? null }))
      .sort((a, b) => codeUnitOrder(a.name, b.name)),
    url: run.html_url,
  };
  // Attributes are the record's facts that rules select on, without the descriptive ones.
  const {
    title: _title,
    status: _status,
    createdAt: _createdAt,
    runStartedAt: _runStartedAt,
    artifacts: _artifacts,
    url: _url,
    ...selectable
  } = record;
  return {
    record,
    attributes: {
      ...selectable,
      success: run.conclusion === 'success',
      artifactNames: sortedUnique(artifacts.map((a) => a.name)),
      observedAtFrom: 'updated_at',
    },
  };
}
