import type { IncomingMessage } from 'node:http';
import { mayAct, type Principal } from '../auth';
import { uploadFieldsSchema, uploadResponseSchema } from '../api-schema';
import type { UploadOutcome } from '../actions';
import { recordOperatorAction } from '../operator-actions';
import { uploadsPage } from '../pages/uploads';
import { actionsOf, readBodyLimited, type Route, type RouteKit } from './kit';

/** Room for the form's other fields and the multipart framing around the file. */
const framingBytes = 64 * 1024;

/**
 * Uploads: a manual record filed by topic exactly as `evidence-hub upload` files it (the CLI's runUpload:
 * topic check with suggestions, no overwrite, effective date), with the signed-in person as who filed it.
 * Page and API take the same multipart/form-data body: `file` plus topic, date, note, source (and csrf
 * from the page's form; the API takes the CSRF token as X-CSRF-Token from a session, none with a bearer).
 */
export function uploadRoutes(kit: RouteKit): Route {
  const file = async (req: IncomingMessage, who: Principal, api: boolean): Promise<UploadOutcome> => {
    // The role is checked before the body is read: a viewer's upload is never buffered.
    if (!mayAct(who, 'operator')) throw kit.fail(403, 'uploading records needs the operator role');
    const type = req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data;/i.test(type))
      throw kit.fail(415, 'send multipart/form-data with a "file" field and a "topic" field');
    if (api) kit.checkCsrf(who, req.headers['x-csrf-token'] as string | undefined);
    const body = await readBodyLimited(req, kit.maxUploadBytes + framingBytes, kit);
    let form: FormData;
    try {
      form = await new Request('http://console.invalid/', {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      }).formData();
    } catch {
      throw kit.fail(400, 'the body is not valid multipart/form-data');
    }
    const field = (name: string): string | undefined => {
      const v = form.get(name);
      return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
    };
    if (!api) kit.checkCsrf(who, field('csrf'));
    const upload = form.get('file');
    if (upload === null || typeof upload === 'string' || upload.size === 0)
      throw kit.fail(400, 'choose a file to upload (field "file")');
    if (upload.size > kit.maxUploadBytes)
      throw kit.fail(413, `the upload is larger than the limit of ${kit.maxUploadBytes} bytes`);
    const parsed = uploadFieldsSchema.safeParse({
      ...(field('topic') !== undefined ? { topic: field('topic') } : {}),
      ...(field('date') !== undefined ? { date: field('date') } : {}),
      ...(field('note') !== undefined ? { note: field('note') } : {}),
      ...(field('source') !== undefined ? { source: field('source') } : {}),
    });
    if (!parsed.success)
      throw kit.fail(400, parsed.error.issues.map((i) => `${i.path.join('.') || 'form'}: ${i.message}`).join('; '));
    const outcome = await actionsOf(kit).upload(
      { ...parsed.data, filename: upload.name, bytes: Buffer.from(await upload.arrayBuffer()) },
      who.name,
    );
    await recordOperatorAction(kit.store, kit.log, who, { action: 'record-uploaded', ...outcome });
    return outcome;
  };

  return async (req, res, url, who) => {
    if (req.method === 'POST' && url.pathname === '/api/v1/uploads') {
      kit.json(res, 201, uploadResponseSchema.parse(await file(req, who, true)));
      return true;
    }
    if (url.pathname !== '/uploads') return false;
    const actions = actionsOf(kit);
    const page = (filed?: UploadOutcome) =>
      uploadsPage(who, {
        allowed: mayAct(who, 'operator'),
        topics: actions.uploadTopics(),
        maxBytes: kit.maxUploadBytes,
        ...(filed ? { filed } : {}),
      });
    if (req.method === 'GET') {
      kit.html(res, 200, page());
      return true;
    }
    if (req.method === 'POST') {
      kit.html(res, 201, page(await file(req, who, false)));
      return true;
    }
    return false;
  };
}
