import { alertRoutes } from './alerts';
import { exportRoutes } from './exports';
import type { Route, RouteKit } from './kit';
import { sweepRoutes } from './sweeps';
import { uploadRoutes } from './uploads';

export type { Route, RouteKit } from './kit';

/** Every route module, asked in turn; the first that knows the path answers. */
export function consoleRoutes(kit: RouteKit): Route {
  const all = [sweepRoutes(kit), uploadRoutes(kit), exportRoutes(kit), alertRoutes(kit)];
  return async (req, res, url, who) => {
    for (const route of all) if (await route(req, res, url, who)) return true;
    return false;
  };
}
