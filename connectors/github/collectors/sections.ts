import { jsonValueSchema } from '../../../core/json';
import { z } from 'zod';
import type { JsonValue } from '../../../core/json';
import type { GithubSourceConfig } from '../config';
import { collectProtection } from './branch-protection';
import type { CollectContext, RepoCtx, Run, Step } from './context';
import { collectDependabot } from './dependabot';
import { collectEnvironments } from './environments';
import { collectTree } from './files';
import { collectPulls } from './pull-requests';
import { collectReleases, collectTags } from './releases';
import { collectRuns } from './workflow-runs';

/** Order of the evidence sections within one repository; a cursor names one of them. */
export const sections = [
  'protection',
  'pulls',
  'tree',
  'releases',
  'tags',
  'runs',
  'dependabot',
  'environments',
] as const;
export type Section = (typeof sections)[number];

export const cursorSchema = z.object({ v: z.literal(1), repo: z.string(), sec: z.enum(sections), at: jsonValueSchema });
export type Cursor = z.infer<typeof cursorSchema>;

/** Whether `collect` asks for the section at all. */
export function sectionEnabled(cfg: GithubSourceConfig, sec: Section): boolean {
  const c = cfg.collect;
  switch (sec) {
    case 'protection':
      return c.branchProtection;
    case 'pulls':
      return c.pullRequests !== false;
    case 'tree':
      return c.codeowners || c.files !== false;
    case 'releases':
      return c.releases;
    case 'tags':
      return c.tags;
    case 'runs':
      return c.workflowRuns !== false;
    case 'dependabot':
      return c.dependabotAlerts;
    case 'environments':
      return c.environments;
  }
}

/** Each section's collector; `prev` is typed per collector, so the table takes it as the section's own state. */
const collectors: Record<
  Section,
  (cx: CollectContext, ctx: RepoCtx, prev: never, at: JsonValue | undefined, run: Run) => AsyncGenerator<Step, unknown>
> = {
  protection: collectProtection,
  pulls: collectPulls,
  tree: collectTree,
  releases: collectReleases,
  tags: collectTags,
  runs: collectRuns,
  dependabot: collectDependabot,
  environments: collectEnvironments,
};

/**
 * The collector of one section. Each yields artifacts with a resume point `at`, and returns the
 * section's next state (`prev` is that section's previous state, as its collector expects it).
 */
export function collectSection(
  cx: CollectContext,
  sec: Section,
  ctx: RepoCtx,
  prev: unknown,
  at: JsonValue | undefined,
  run: Run,
): AsyncGenerator<Step, unknown> {
  return collectors[sec](cx, ctx, prev as never, at, run);
}
