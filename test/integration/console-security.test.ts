import { rm } from 'node:fs/promises';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { ConsoleAuth } from '../../console/auth';
import { esc } from '../../evidence/export/html';
import {
  consoleOn,
  hostileError,
  hostileName,
  htmlEvidence,
  tokens,
  type ConsoleFixture,
} from '../support/console-fixture';
import { hubIn } from '../support/hub-fixture';
import { spawnCli, waitFor } from '../support/processes';
import { suiteDir, tempDir } from '../support/tmp';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request with the path sent byte for byte (fetch would normalise `..` away before the server saw it). */
function raw(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Answer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
const cookieValue = (setCookie: string | string[] | undefined, name: string): string => {
  const line = [setCookie ?? []].flat().find((c) => c.startsWith(`${name}=`));
  if (!line) throw new Error(`no ${name} cookie set`);
  return line.slice(name.length + 1).split(';')[0]!;
};

/** Signs in through the form as a browser would: fetch the form (pre-sign-in cookie), post the token. */
async function signIn(base: string, token: string): Promise<{ cookie: string; csrf: string; setCookie: string[] }> {
  const formPage = await raw(base, 'GET', '/signin');
  const pre = cookieValue(formPage.headers['set-cookie'], 'eh_signin');
  const preCsrf = /name="csrf" value="([^"]+)"/.exec(formPage.body)![1]!;
  const posted = await raw(
    base,
    'POST',
    '/signin',
    { ...form, Cookie: `eh_signin=${pre}` },
    new URLSearchParams({ csrf: preCsrf, token }).toString(),
  );
  expect(posted.status).toBe(303);
  const setCookie = [posted.headers['set-cookie'] ?? []].flat();
  const cookie = `eh_session=${cookieValue(setCookie, 'eh_session')}`;
  const overview = await raw(base, 'GET', '/', { Cookie: cookie });
  expect(overview.status).toBe(200);
  const csrf = /name="csrf" value="([^"]+)"/.exec(overview.body)![1]!;
  return { cookie, csrf, setCookie };
}

describe('web console security rules, on a real socket', () => {
  let fx: ConsoleFixture;
  let htmlBlob: string;

  beforeAll(async () => {
    fx = await consoleOn(await suiteDir());
    const controls = JSON.parse((await raw(fx.base, 'GET', '/api/v1/controls', bearer(tokens.viewer))).body) as {
      controls: { id: string }[];
    };
    for (const c of controls.controls) {
      const detail = JSON.parse(
        (await raw(fx.base, 'GET', `/api/v1/controls/${encodeURIComponent(c.id)}`, bearer(tokens.viewer))).body,
      ) as { evidence: { id: string; sha256: string }[] };
      const html = detail.evidence.find((e) => e.id === 'docs:monitoring/page.html');
      if (html) htmlBlob = html.sha256;
    }
    expect(htmlBlob).toMatch(/^[0-9a-f]{64}$/);
  });
  afterAll(async () => {
    await fx?.close();
    if (fx) await rm(fx.dir, { recursive: true, force: true });
  });

  it('answers 401 to the API without a token or with an unknown one, and 200 with a known one', async () => {
    expect((await raw(fx.base, 'GET', '/api/v1/controls')).status).toBe(401);
    expect((await raw(fx.base, 'GET', '/api/v1/controls', bearer('not-a-token'))).status).toBe(401);
    expect((await raw(fx.base, 'GET', '/api/v1/controls', { Authorization: 'Basic abc' })).status).toBe(401);
    const ok = await raw(fx.base, 'GET', '/api/v1/controls', bearer(tokens.viewer));
    expect(ok.status).toBe(200);
    expect((JSON.parse(ok.body) as { controls: unknown[] }).controls).toHaveLength(38);
    // Pages send an unknown visitor to the sign-in form.
    const page = await raw(fx.base, 'GET', '/controls');
    expect([page.status, page.headers['location']]).toEqual([303, '/signin']);
  });

  it('refuses to start a sweep for a viewer (403), and lets an operator through to the input check', async () => {
    const viewer = await raw(
      fx.base,
      'POST',
      '/api/v1/sweeps',
      { ...bearer(tokens.viewer), 'Content-Type': 'application/json' },
      '{}',
    );
    expect(viewer.status).toBe(403);
    expect(JSON.parse(viewer.body)).toEqual({ error: 'starting a sweep needs the operator role' });
    // An operator passes the role check; a glob no control matches is bad input, answered before Temporal is asked.
    const operator = await raw(
      fx.base,
      'POST',
      '/api/v1/sweeps',
      { ...bearer(tokens.operator), 'Content-Type': 'application/json' },
      JSON.stringify({ controls: 'Z.*' }),
    );
    expect(operator.status).toBe(400);
    expect(operator.body).toContain('matches no control');
  });

  it('signs in with a token into a signed HttpOnly SameSite=Strict session; a viewer sees no sweep button', async () => {
    const operator = await signIn(fx.base, tokens.operator);
    const session = operator.setCookie.find((c) => c.startsWith('eh_session='))!;
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Strict/);
    expect((await raw(fx.base, 'GET', '/', { Cookie: operator.cookie })).body).toContain('id="start-sweep"');

    const viewer = await signIn(fx.base, tokens.viewer);
    const page = await raw(fx.base, 'GET', '/', { Cookie: viewer.cookie });
    expect(page.body).not.toContain('id="start-sweep"');
    const post = await raw(
      fx.base,
      'POST',
      '/sweeps',
      { ...form, Cookie: viewer.cookie },
      new URLSearchParams({ csrf: viewer.csrf }).toString(),
    );
    expect(post.status).toBe(403);

    // A wrong token gets the form again, and no session.
    const formPage = await raw(fx.base, 'GET', '/signin');
    const pre = cookieValue(formPage.headers['set-cookie'], 'eh_signin');
    const preCsrf = /name="csrf" value="([^"]+)"/.exec(formPage.body)![1]!;
    const wrong = await raw(
      fx.base,
      'POST',
      '/signin',
      { ...form, Cookie: `eh_signin=${pre}` },
      new URLSearchParams({ csrf: preCsrf, token: 'guess' }).toString(),
    );
    expect(wrong.status).toBe(401);
    expect(String(wrong.headers['set-cookie'])).not.toContain('eh_session');
  });

  it('refuses a state-changing form without the CSRF token, or with another session’s (403)', async () => {
    const a = await signIn(fx.base, tokens.operator);
    const b = await signIn(fx.base, tokens.admin);
    const post = (cookie: string, fields: Record<string, string>) =>
      raw(fx.base, 'POST', '/sweeps', { ...form, Cookie: cookie }, new URLSearchParams(fields).toString());
    expect((await post(a.cookie, { controls: 'Z.*' })).status).toBe(403);
    expect((await post(a.cookie, { controls: 'Z.*', csrf: b.csrf })).status).toBe(403);
    // With its own token the request reaches the sweep input check (no such control: 400).
    expect((await post(a.cookie, { controls: 'Z.*', csrf: a.csrf })).status).toBe(400);
    // The JSON API from a session cookie needs the token too (header X-CSRF-Token).
    const api = await raw(
      fx.base,
      'POST',
      '/api/v1/sweeps',
      { 'Content-Type': 'application/json', Cookie: a.cookie },
      '{}',
    );
    expect(api.status).toBe(403);
    // Signing in itself needs the pre-sign-in token: another site cannot sign a browser in as its own user.
    const signin = await raw(
      fx.base,
      'POST',
      '/signin',
      form,
      new URLSearchParams({ token: tokens.operator }).toString(),
    );
    expect(signin.status).toBe(403);
  });

  it('refuses a forged or tampered session cookie, and an expired session', async () => {
    const { cookie } = await signIn(fx.base, tokens.viewer);
    const [payload, mac] = cookie.slice('eh_session='.length).split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const promoted = Buffer.from(JSON.stringify({ ...claims, r: 'admin' })).toString('base64url');
    const tampered = await raw(fx.base, 'GET', '/api/v1/controls', { Cookie: `eh_session=${promoted}.${mac}` });
    expect(tampered.status).toBe(401);

    let now = 0;
    const auth = await ConsoleAuth.fromConfig(undefined, '/', () => now);
    const session = auth.issueSession({ name: 'x', role: 'viewer' });
    expect(auth.bySession(session)?.name).toBe('x');
    now = 9 * 60 * 60 * 1000;
    expect(auth.bySession(session)).toBeUndefined();
  });

  it('serves evidence only as a download with its media type, never inline, and refuses traversal and odd ids', async () => {
    const blob = await raw(fx.base, 'GET', `/api/v1/blobs/${htmlBlob}`, bearer(tokens.viewer));
    expect(blob.status).toBe(200);
    expect(blob.body).toBe(htmlEvidence);
    expect(blob.headers['content-disposition']).toBe('attachment; filename="page.html"');
    expect(blob.headers['x-content-type-options']).toBe('nosniff');
    expect(blob.headers['content-type']).toBe('text/markdown'); // as its manifest recorded it
    expect(blob.headers['content-security-policy']).toMatch(/sandbox/);
    for (const path of [
      '/api/v1/blobs/../../../etc/passwd',
      '/api/v1/blobs/..%2f..%2f..%2fetc%2fpasswd',
      '/api/v1/blobs/%2e%2e%2fkeys%2fsigning.pem',
      `/api/v1/blobs/${htmlBlob.toUpperCase()}`,
      `/api/v1/blobs/${htmlBlob.slice(1)}`,
      `/api/v1/blobs/${htmlBlob}%00`,
      `/api/v1/blobs/${'0'.repeat(64)}`,
      '/blobs/..%2F..%2Fevidence-hub.yaml',
      '/api/v1/blobs/%2e%2e/%2e%2e/evidence-hub.yaml',
      '/api/v1/blobs/%2E%2E%5C%2E%2E%5Cevidence-hub.yaml',
      `/api/v1/blobs/${htmlBlob.slice(0, 32)}%00${htmlBlob.slice(32)}`,
      `/api/v1/blobs/${htmlBlob}%2f..`,
      `/api/v1/blobs/${'a'.repeat(8000)}`,
      `/blobs/${htmlBlob.slice(0, 63)}%C3%A9`,
    ]) {
      const res = await raw(fx.base, 'GET', path, bearer(tokens.viewer));
      expect([400, 404], path).toContain(res.status);
      expect(res.body, path).not.toContain('root:');
      expect(res.body, path).not.toContain('version: 1');
    }
    // An id longer than Node's header limit never reaches the console at all.
    expect((await raw(fx.base, 'GET', `/api/v1/blobs/${'a'.repeat(20_000)}`, bearer(tokens.viewer))).status).toBe(431);
  });

  it('escapes HTML from evidence names and failure messages on every page, under a CSP that forbids scripts', async () => {
    const { cookie } = await signIn(fx.base, tokens.viewer);
    const overview = await raw(fx.base, 'GET', '/', { Cookie: cookie });
    expect(overview.headers['content-security-policy']).toContain("default-src 'none'");
    expect(overview.headers['content-security-policy']).not.toContain('script-src');
    expect(overview.body).toContain(esc(hostileError));
    expect(overview.body).not.toContain('<script>');

    const controls = JSON.parse((await raw(fx.base, 'GET', '/api/v1/controls', bearer(tokens.viewer))).body) as {
      controls: { id: string }[];
    };
    let seen = 0;
    for (const c of controls.controls) {
      const page = await raw(fx.base, 'GET', `/controls/${encodeURIComponent(c.id)}`, { Cookie: cookie });
      expect(page.status).toBe(200);
      expect(page.body).not.toMatch(/<script|<img/i);
      if (page.body.includes(esc(`docs:${hostileName}`))) seen++;
    }
    expect(seen).toBeGreaterThan(0);
    const list = await raw(fx.base, 'GET', '/controls', { Cookie: cookie });
    expect(list.body).not.toMatch(/<script|<img/i);
  });

  it('every new state-changing form (cancel, upload, export) refuses a session request without its CSRF token', async () => {
    const a = await signIn(fx.base, tokens.operator);
    const cancel = await raw(fx.base, 'POST', '/sweeps/sweep-x/cancel', { ...form, Cookie: a.cookie }, '');
    expect(cancel.status).toBe(403);
    const exported = await raw(
      fx.base,
      'POST',
      '/exports',
      { ...form, Cookie: a.cookie },
      new URLSearchParams({ from: '2026-01-01', to: '2026-12-31' }).toString(),
    );
    expect(exported.status).toBe(403);
    const boundary = 'b0undary';
    const multipart = [
      `--${boundary}\r\nContent-Disposition: form-data; name="topic"\r\n\r\ntraining\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\nContent-Type: text/csv\r\n\r\nx\r\n`,
      `--${boundary}--\r\n`,
    ].join('');
    const upload = await raw(
      fx.base,
      'POST',
      '/uploads',
      { 'Content-Type': `multipart/form-data; boundary=${boundary}`, Cookie: a.cookie },
      multipart,
    );
    expect(upload.status).toBe(403);
    expect(upload.body).toContain('CSRF');
    // The API from a cookie session needs X-CSRF-Token too.
    const api = await raw(fx.base, 'POST', '/api/v1/sweeps/sweep-x/cancel', { Cookie: a.cookie }, '');
    expect(api.status).toBe(403);
  });

  it('serves an OpenAPI document generated from the schemas', async () => {
    const doc = JSON.parse((await raw(fx.base, 'GET', '/api/v1/openapi.json')).body) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/v1/blobs/{sha256}',
      '/api/v1/controls',
      '/api/v1/controls/{id}',
      '/api/v1/exports',
      '/api/v1/readiness',
      '/api/v1/sweeps',
      '/api/v1/sweeps/{id}',
      '/api/v1/sweeps/{id}/cancel',
      '/api/v1/systems',
      '/api/v1/uploads',
    ]);
    // Merged per path: listing and starting sweeps share one path.
    expect(Object.keys(doc.paths['/api/v1/sweeps'] as object).sort()).toEqual(['get', 'post']);
  });

  it('serve refuses to start with no sign-in configured unless --insecure-local', async () => {
    const { configFile } = await hubIn(
      await tempDir(),
      'version: 1\nstore: { path: ./store }\nsources:\n  - { id: docs, type: folder, path: ./org }\n',
      { 'org/a.md': 'A' },
    );
    const err: string[] = [];
    const code = await main(['serve', '--config', configFile, '--port', '0'], {
      out: () => {},
      err: (s) => err.push(s),
    });
    expect(code).toBe(2);
    expect(err.join('\n')).toContain('no sign-in is configured');
    // --host elsewhere with --insecure-local is refused too: no sign-in never leaves loopback.
    const wide = await main(['serve', '--config', configFile, '--insecure-local', '--host', '0.0.0.0'], {
      out: () => {},
      err: (s) => err.push(s),
    });
    expect(wide).toBe(2);
    expect(err.join('\n')).toContain('loopback only');

    // --insecure-local: the real command, as a process, on 127.0.0.1, answering without sign-in.
    const serve = spawnCli(['serve', '--config', configFile, '--insecure-local', '--port', '0']);
    try {
      const address = await waitFor(
        'the console address',
        async () => /console on (http:\/\/\S+)/.exec(serve.output())?.[1],
      );
      expect(address).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const res = await fetch(`${address}api/v1/controls`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { controls: unknown[] }).controls).toHaveLength(38);
    } finally {
      serve.child.kill('SIGTERM');
      expect(await serve.exited).toBe(0);
    }
  });
});
