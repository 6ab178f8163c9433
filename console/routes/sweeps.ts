import { mayAct } from '../auth';
import { recordOperatorAction } from '../operator-actions';
import { sweepPage, sweepsPage } from '../pages/sweeps';
import { sweepListSchema, sweepViewSchema } from '../api-schema';
import { actionsOf, readForm, type Route, type RouteKit } from './kit';

/** Workflow ids the console accepts in a path: what `sweep` generates, and nothing that could climb a path. */
const sweepIdPattern = /^[A-Za-z0-9._-]{1,200}$/;

/**
 * Sweeps: the history (Temporal's list of this task queue's sweeps, each with the bundle it sealed), one
 * sweep's live progress (the workflow's `progress` query; the page reloads itself while it runs, no script
 * needed), and cancel. Starting a sweep stays in server.ts (POST /sweeps, /api/v1/sweeps).
 */
export function sweepRoutes(kit: RouteKit): Route {
  const cancel = async (who: Parameters<Route>[3], id: string): Promise<void> => {
    if (!mayAct(who, 'operator')) throw kit.fail(403, 'cancelling a sweep needs the operator role');
    await actionsOf(kit).cancelSweep(id);
    await recordOperatorAction(kit.store, kit.log, who, { action: 'sweep-cancelled', workflowId: id });
  };
  const find = async (id: string) => {
    const view = sweepIdPattern.test(id) ? await actionsOf(kit).sweep(id) : undefined;
    if (!view) throw kit.fail(404, 'no such sweep');
    return view;
  };

  return async (req, res, url, who) => {
    const p = url.pathname;
    if (req.method === 'GET' && p === '/api/v1/sweeps') {
      kit.json(res, 200, sweepListSchema.parse({ sweeps: await actionsOf(kit).listSweeps() }));
      return true;
    }
    let m = /^\/api\/v1\/sweeps\/([^/]+)$/.exec(p);
    if (req.method === 'GET' && m) {
      kit.json(res, 200, sweepViewSchema.parse(await find(decodeURIComponent(m[1]!))));
      return true;
    }
    m = /^\/api\/v1\/sweeps\/([^/]+)\/cancel$/.exec(p);
    if (req.method === 'POST' && m) {
      kit.checkCsrf(who, req.headers['x-csrf-token'] as string | undefined);
      const id = decodeURIComponent(m[1]!);
      if (!sweepIdPattern.test(id)) throw kit.fail(404, 'no such sweep');
      await cancel(who, id);
      kit.json(res, 202, { workflowId: id, cancelRequested: true });
      return true;
    }
    if (req.method === 'GET' && p === '/sweeps') {
      const actions = actionsOf(kit);
      let problem: string | undefined;
      const sweeps = await actions.listSweeps().catch((err: unknown) => {
        kit.log.warn({ err }, 'listing sweeps failed');
        problem = 'Temporal could not be asked for the sweep history (see the console log).';
        return [];
      });
      kit.html(
        res,
        200,
        sweepsPage(sweeps, who, { allowed: mayAct(who, 'operator'), sources: actions.sourceIds(), problem }),
      );
      return true;
    }
    m = /^\/sweeps\/([^/]+)$/.exec(p);
    if (req.method === 'GET' && m) {
      const view = await find(decodeURIComponent(m[1]!));
      const extra = view.status === 'running' ? { Refresh: '2' } : undefined;
      kit.html(res, 200, sweepPage(view, who, mayAct(who, 'operator')), extra);
      return true;
    }
    m = /^\/sweeps\/([^/]+)\/cancel$/.exec(p);
    if (req.method === 'POST' && m) {
      const form = await readForm(req, kit);
      kit.checkCsrf(who, form.get('csrf') ?? undefined);
      const id = decodeURIComponent(m[1]!);
      if (!sweepIdPattern.test(id)) throw kit.fail(404, 'no such sweep');
      await cancel(who, id);
      kit.redirect(res, `/sweeps/${encodeURIComponent(id)}`);
      return true;
    }
    return false;
  };
}
