import type { AlertPolicy } from './types';

export interface Route {
  channel: string;
  mention?: string;
  /** The route's `match`, or undefined for the default channel. */
  match?: string;
}

/** The most specific route whose match is the control id or a dot-boundary prefix of it; ties: first listed. */
export function routeFor(
  controlId: string,
  policy: Pick<AlertPolicy, 'routes' | 'defaultChannel' | 'defaultMention'>,
): Route {
  let best: Route | undefined;
  let depth = -1;
  for (const r of policy.routes) {
    if (controlId !== r.match && !controlId.startsWith(`${r.match}.`)) continue;
    const d = r.match.split('.').length;
    if (d > depth) {
      best = { channel: r.channel, match: r.match, ...(r.mention ? { mention: r.mention } : {}) };
      depth = d;
    }
  }
  return (
    best ?? { channel: policy.defaultChannel, ...(policy.defaultMention ? { mention: policy.defaultMention } : {}) }
  );
}

/** Orders A.2.10 after A.2.9 and A.10 after A.9. */
export function compareControlIds(a: string, b: string): number {
  const pa = a.split('.');
  const pb = b.split('.');
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x) ? Number(x) : Number.NaN;
    const ny = /^\d+$/.test(y) ? Number(y) : Number.NaN;
    if (!Number.isNaN(nx) && !Number.isNaN(ny)) {
      if (nx !== ny) return nx - ny;
    } else if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}
