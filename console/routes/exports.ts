import { createReadStream } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { mayAct, type Principal } from '../auth';
import { auditListSchema, exportRequestSchema } from '../api-schema';
import { recordOperatorAction } from '../operator-actions';
import { exportsPage } from '../pages/exports';
import { actionsOf, readBodyLimited, readForm, type Route, type RouteKit } from './kit';

/**
 * Export: the audit pack for a window or an audit of the calendar, written by the same code as
 * `evidence-hub export` (exportAuditPack, signed export.json) and sent as a download, then removed.
 */
export function exportRoutes(kit: RouteKit): Route {
  const send = async (res: ServerResponse, who: Principal, fields: Record<string, unknown>): Promise<void> => {
    if (!mayAct(who, 'operator')) throw kit.fail(403, 'exporting an audit pack needs the operator role');
    const given = Object.fromEntries(Object.entries(fields).filter(([, v]) => typeof v !== 'string' || v.trim()));
    const parsed = exportRequestSchema.safeParse(given);
    if (!parsed.success)
      throw kit.fail(400, parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const pack = await actionsOf(kit).exportPack(parsed.data);
    try {
      await recordOperatorAction(kit.store, kit.log, who, {
        action: 'pack-exported',
        from: pack.from,
        to: pack.to,
        bundles: pack.bundles,
        ...(parsed.data.audit ? { audit: parsed.data.audit } : {}),
        ...(parsed.data.controls ? { controls: parsed.data.controls } : {}),
      });
      res.writeHead(200, {
        ...kit.headers,
        'Content-Type': 'application/gzip',
        'Content-Disposition': `attachment; filename="${pack.filename}"`,
        'X-Pack-Fingerprint': `sha256:${pack.fingerprint}`,
      });
      await pipeline(createReadStream(pack.file), res);
    } finally {
      await pack.dispose();
    }
  };

  return async (req, res, url, who) => {
    const p = url.pathname;
    if (p === '/api/v1/exports' && req.method === 'GET') {
      kit.json(res, 200, auditListSchema.parse({ audits: actionsOf(kit).audits() }));
      return true;
    }
    if (p === '/api/v1/exports' && req.method === 'POST') {
      kit.checkCsrf(who, req.headers['x-csrf-token'] as string | undefined);
      const text = (await readBodyLimited(req, 16 * 1024, kit)).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : {};
      } catch {
        throw kit.fail(400, 'the body is not JSON');
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) throw kit.fail(400, 'send a JSON object');
      await send(res, who, body as Record<string, unknown>);
      return true;
    }
    if (p !== '/exports') return false;
    if (req.method === 'GET') {
      kit.html(res, 200, exportsPage(who, { allowed: mayAct(who, 'operator'), audits: actionsOf(kit).audits() }));
      return true;
    }
    if (req.method === 'POST') {
      const form = await readForm(req, kit);
      kit.checkCsrf(who, form.get('csrf') ?? undefined);
      const fields: Record<string, string> = {};
      for (const k of ['from', 'to', 'audit', 'controls']) {
        const v = form.get(k);
        if (v) fields[k] = v;
      }
      await send(res, who, fields);
      return true;
    }
    return false;
  };
}
