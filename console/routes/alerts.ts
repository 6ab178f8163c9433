import { parseAlertState } from '../../alerts/state';
import { alertsPage } from '../pages/alerts';
import { actionsOf, type Route, type RouteKit } from './kit';

/** Alerts: the staleness monitor's alert state as the store keeps it (read only, for every role). */
export function alertRoutes(kit: RouteKit): Route {
  return async (req, res, url, who) => {
    if (req.method !== 'GET' || url.pathname !== '/alerts') return false;
    let problem: string | undefined;
    let state;
    try {
      state = parseAlertState(await actionsOf(kit).readAlertState());
    } catch (err) {
      problem = `The alert state could not be read: ${(err as Error).message}`;
    }
    kit.html(res, 200, alertsPage(who, state, problem));
    return true;
  };
}
