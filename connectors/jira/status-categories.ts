import { z } from 'zod';
import { ConnectorError } from '../../core/errors';
import type { JiraRestClient } from './client';
import type { JiraSourceConfig } from './config';

/**
 * The status category (`new`, `indeterminate`, `done`) of an issue's status. Jira Cloud and recent Data
 * Center put it in the issue's `status`; some Data Center versions leave it out there while GET
 * /rest/api/2/status still gives it per status, and servers from before status categories give it
 * nowhere. A rule on `statusCategory` must then not silently never match: the category is derived from
 * the status list where the server tells it, and otherwise the source reports it as unsupported.
 */
export type StatusCategoryFrom = 'issue' | 'status-list' | 'unsupported';

const statusListSchema = z.array(
  z.looseObject({
    id: z.string().optional(),
    name: z.string(),
    statusCategory: z.looseObject({ key: z.string() }).optional(),
  }),
);

interface IssueStatus {
  name: string;
  id?: string | undefined;
  statusCategory?: { key: string } | undefined;
}

export class StatusCategories {
  /** Read once per run, on the first issue whose status lacks a category. */
  private list: Promise<{ byId: Map<string, string>; byName: Map<string, string> } | string> | undefined;
  private readonly undetermined = new Set<string>();
  private listProblem: string | undefined;

  constructor(private readonly ctx: { readonly source: JiraSourceConfig; readonly client: JiraRestClient }) {}

  /** Forgets the previous run's list and problems: statuses and their categories change. */
  reset(): void {
    this.list = undefined;
    this.undetermined.clear();
    this.listProblem = undefined;
  }

  async categoryOf(
    status: IssueStatus | null | undefined,
  ): Promise<{ key: string | null; from: StatusCategoryFrom | null }> {
    if (!status) return { key: null, from: null };
    if (status.statusCategory) return { key: status.statusCategory.key, from: 'issue' };
    this.list ??= this.load();
    const list = await this.list;
    const key =
      typeof list === 'string'
        ? undefined
        : ((status.id !== undefined ? list.byId.get(status.id) : undefined) ?? list.byName.get(status.name));
    if (key !== undefined) return { key, from: 'status-list' };
    if (typeof list === 'string') this.listProblem = list;
    this.undetermined.add(status.name);
    return { key: null, from: 'unsupported' };
  }

  /** One problem naming the statuses without a category, so `statusCategory` rules are known blind. */
  problems(): string[] {
    if (this.undetermined.size === 0) return [];
    const names = [...this.undetermined].sort();
    const shown = names
      .slice(0, 10)
      .map((n) => `"${n}"`)
      .join(', ');
    const more = names.length > 10 ? ` and ${names.length - 10} more` : '';
    const why = this.listProblem ?? 'GET /rest/api/2/status gives no statusCategory for them either';
    return [
      `source "${this.ctx.source.id}": statusCategory is unsupported by this Jira for ${names.length} status(es) (${shown}${more}): the issues' status carries no statusCategory and ${why}; their statusCategory is null, so rules on statusCategory cannot match them: select on status instead`,
    ];
  }

  private async load(): Promise<{ byId: Map<string, string>; byName: Map<string, string> } | string> {
    try {
      const statuses = await this.ctx.client.json(
        { entry: 'statusCategory', permission: 'it must be a licensed Jira user allowed to use the REST API' },
        statusListSchema,
        () => this.ctx.client.api.listStatus(),
      );
      const byId = new Map<string, string>();
      const byName = new Map<string, string>();
      for (const s of statuses) {
        if (!s.statusCategory) continue;
        if (s.id !== undefined) byId.set(s.id, s.statusCategory.key);
        // Names can repeat across projects with different categories; an id match is preferred.
        if (!byName.has(s.name)) byName.set(s.name, s.statusCategory.key);
      }
      return { byId, byName };
    } catch (err) {
      // A refused or odd status list is not a reason to drop the issues: it only leaves the category open.
      if (err instanceof ConnectorError) return `GET /rest/api/2/status could not tell (${err.message})`;
      throw err;
    }
  }
}
