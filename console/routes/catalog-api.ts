import { readinessJson } from '../../mappings/readiness-json';
import { noInventoryText, systemMatrix } from '../../mappings/system-matrix';
import {
  controlsResponseSchema,
  controlSummaryOf,
  readinessResponseSchema,
  systemsResponseSchema,
} from '../api-schema';
import type { ConsoleSources } from '../data';
import { judgedBy, systemFilter } from '../systems';
import type { Route, RouteKit } from './kit';

const catalogs = ['annex-a', 'clauses', 'all'] as const;

/**
 * The JSON API's reading routes over the evaluation: `/api/v1/controls` (Annex A and/or the clauses, as
 * `status --json --catalog`, filtered by status and AI system), `/api/v1/systems` (`status --by-system
 * --json`) and `/api/v1/readiness` (`readiness --json`). Every answer is parsed through its zod schema.
 */
export function catalogApiRoutes(kit: RouteKit, sources: ConsoleSources): Route {
  return async (req, res, url) => {
    if (req.method !== 'GET') return false;
    const p = url.pathname;
    if (p === '/api/v1/controls') {
      const catalog = url.searchParams.get('catalog') || 'annex-a';
      if (!(catalogs as readonly string[]).includes(catalog))
        throw kit.fail(400, `catalog: expected one of ${catalogs.join(', ')}, got "${catalog}"`);
      const system = url.searchParams.get('system') || undefined;
      const status = url.searchParams.get('status') || undefined;
      const { asOf, results, clauses, reevaluation } = await sources.status();
      const chosen = systemFilter(sources.aiSystems ?? false, [...results, ...clauses], system);
      if ('problem' in chosen) throw kit.fail(400, chosen.problem);
      const list = (rs: typeof results) =>
        judgedBy(chosen.view, rs)
          .filter((r) => !status || r.status === status)
          .map(controlSummaryOf);
      return send(
        kit,
        res,
        controlsResponseSchema.parse({
          asOf,
          ...reevaluation,
          ...(catalog !== 'clauses' ? { controls: list(results) } : {}),
          ...(catalog !== 'annex-a' ? { clauses: list(clauses) } : {}),
          ...(chosen.view ? { system: chosen.view } : {}),
        }),
      );
    }
    if (p === '/api/v1/systems') {
      if (!sources.aiSystems) throw kit.fail(400, noInventoryText);
      const { asOf, results, clauses, reevaluation } = await sources.status();
      return send(
        kit,
        res,
        systemsResponseSchema.parse({ asOf, ...reevaluation, ...systemMatrix([...results, ...clauses]) }),
      );
    }
    if (p === '/api/v1/readiness') {
      if (!sources.readiness) throw kit.fail(404, 'no audit calendar: add "audits: { calendar: [...] }" to the config');
      const f = await sources.readiness();
      if (!f) throw kit.fail(404, 'no audit ahead in the calendar: add the next one to audits.calendar');
      return send(kit, res, readinessResponseSchema.parse(readinessJson(f)));
    }
    return false;
  };
}

function send(kit: RouteKit, res: Parameters<RouteKit['json']>[0], body: unknown): true {
  kit.json(res, 200, body);
  return true;
}
