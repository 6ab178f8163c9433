import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { FilesystemStore } from '../../evidence/fs-store';
import {
  createRedactor,
  maxReportedLines,
  parseJsonPath,
  RedactionConfigError,
  redactionConfigSchema,
  summarizeRedaction,
  type RedactionReport,
  type Redactor,
} from '../../evidence/redaction';
import { tempDir } from '../support/tmp';
import { assertProperty } from '../support/property';

// All credentials below and in test/fixtures/redaction are fake and randomly generated.

const fixtures = path.join(__dirname, '..', 'fixtures', 'redaction');

interface CorpusFile {
  file: string;
  mediaType: string;
  eol: 'lf' | 'crlf';
  secrets: string[];
  changedLines: number[];
  byRule: Record<string, { count: number; lines: number[] }>;
}

const corpus = (JSON.parse(readFileSync(path.join(fixtures, 'corpus.json'), 'utf8')) as { files: CorpusFile[] }).files;
const load = (f: CorpusFile) => readFile(path.join(fixtures, f.file));

/** Splits `input` into chunks whose sizes cycle through `sizes`. */
function split(input: Buffer, sizes: number[]): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0, i = 0; at < input.length; i++) {
    const n = sizes[i % sizes.length]!;
    out.push(input.subarray(at, at + n));
    at += n;
  }
  return out;
}

/** Runs `input` through the streaming API in the given chunks and collects the output. */
async function viaStream(r: Redactor, input: Buffer, sizes: number[] | undefined, mediaType: string, id: string) {
  const { stream, report } = r.redact(Readable.from(sizes ? split(input, sizes) : [input]), mediaType, id);
  const parts: Buffer[] = [];
  for await (const chunk of stream) parts.push(chunk as Buffer);
  return { output: Buffer.concat(parts), report: report() };
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const hitsOf = (report: RedactionReport) =>
  Object.fromEntries(report.byRule.map((h) => [h.rule, { count: h.count, lines: h.lines }]));
const lines = (b: Buffer) => b.toString('latin1').split('\n');

describe('redaction corpus', () => {
  const r = createRedactor();

  describe.each(corpus.map((f) => [f.file, f] as const))('%s', (_name, f) => {
    it('removes every secret and leaves every other line byte-identical', async () => {
      const input = await load(f);
      const { output, report } = r.redactBuffer(input, f.mediaType, f.file);
      const text = output.toString('latin1');
      for (const secret of f.secrets) expect(text, `secret ${secret.slice(0, 12)}... survived`).not.toContain(secret);
      const before = lines(input);
      const after = lines(output);
      expect(after).toHaveLength(before.length);
      before.forEach((line, i) => {
        if (f.changedLines.includes(i + 1)) {
          expect(after[i], `line ${i + 1} should be redacted`).not.toBe(line);
          expect(after[i]).toMatch(/\[REDACTED:[a-z0-9-]+\]/);
        } else {
          expect(after[i], `line ${i + 1} must not change`).toBe(line);
        }
      });
      expect(report.scanned).toBe(true);
      expect(report.bytesIn).toBe(input.length);
      expect(report.bytesOut).toBe(output.length);
    });

    it('reports what was redacted and where, as counts and line numbers', async () => {
      const input = await load(f);
      const { report } = r.redactBuffer(input, f.mediaType, f.file);
      expect(hitsOf(report)).toEqual(f.byRule);
      expect(report.total).toBe(Object.values(f.byRule).reduce((n, h) => n + h.count, 0));
      const json = JSON.stringify(report);
      for (const secret of f.secrets) expect(json).not.toContain(secret);
    });

    it('gives the same bytes and report through the stream, and redacting again changes nothing', async () => {
      const input = await load(f);
      const whole = r.redactBuffer(input, f.mediaType, f.file);
      const streamed = await viaStream(r, input, undefined, f.mediaType, f.file);
      expect(streamed.output.equals(whole.output)).toBe(true);
      expect(streamed.report).toEqual(whole.report);
      const again = r.redactBuffer(whole.output, f.mediaType, f.file);
      expect(again.output.toString('latin1')).toBe(whole.output.toString('latin1'));
      expect(again.report.total).toBe(0);
    });
  });

  it('has a corpus with every kind of secret the rules cover', () => {
    const rules = new Set(corpus.flatMap((f) => Object.keys(f.byRule)));
    for (const rule of [
      'private-key',
      'aws-access-key-id',
      'aws-secret-access-key',
      'github-token',
      'slack-token',
      'slack-webhook',
      'jwt',
      'url-credentials',
      'bearer-token',
      'basic-auth',
      'secret-assignment',
      'csv-secret-column',
    ]) {
      expect(rules).toContain(rule);
    }
    const all = corpus.flatMap((f) => f.secrets).join('\n');
    for (const prefix of [
      'ghp_',
      'gho_',
      'ghu_',
      'ghs_',
      'ghr_',
      'github_pat_',
      'xoxb-',
      'xoxp-',
      'xoxa-',
      'xapp-',
      'AKIA',
      'ASIA',
    ])
      expect(all).toContain(prefix);
  });

  it('keeps JSON valid JSON, YAML valid YAML and CSV records and columns intact', async () => {
    const byName = (n: string) => corpus.find((f) => f.file === n)!;
    const json = r
      .redactBuffer(await load(byName('service-config.json')), 'application/json', 'c.json')
      .output.toString('utf8');
    const parsed = JSON.parse(json) as Record<string, Record<string, string>>;
    expect(parsed['github']!['token']).toBe('[REDACTED:github-token]');
    expect(parsed['database']!['password']).toBe('[REDACTED:secret-assignment]');
    expect(parsed['database']!['url']).toBe(
      'postgresql://registry:[REDACTED:url-credentials]@db.internal:5432/registry?sslmode=require',
    );
    expect(parsed['serviceAccount']!['private_key']).toBe(
      '-----BEGIN PRIVATE KEY-----[REDACTED:private-key]-----END PRIVATE KEY-----\n',
    );

    const yamlIn = await load(byName('deployment.yaml'));
    const yamlOut = r.redactBuffer(yamlIn, 'application/yaml', 'd.yaml').output.toString('utf8');
    const docsIn = yamlIn
      .toString('utf8')
      .split(/^---$/m)
      .map((d) => parseYaml(d) as Record<string, unknown>);
    const docsOut = yamlOut.split(/^---$/m).map((d) => parseYaml(d) as Record<string, unknown>);
    expect(docsOut.map((d) => Object.keys(d))).toEqual(docsIn.map((d) => Object.keys(d)));
    const auth = (docsOut[1]!['app'] as Record<string, Record<string, string>>)['auth']!;
    expect(auth['password']).toBe('[REDACTED:secret-assignment]');
    expect(auth['token']).toBe('${{ secrets.DEPLOY_TOKEN }}');
    expect((docsOut[0]!['stringData'] as Record<string, string>)['tls.key']).toMatch(
      /^-----BEGIN EC PRIVATE KEY-----\n(\[REDACTED:private-key\]\n)+-----END EC PRIVATE KEY-----\n$/,
    );

    const csvOut = r.redactBuffer(await load(byName('user-export.csv')), 'text/csv', 'u.csv').output.toString('utf8');
    const records = parseCsv(csvOut);
    expect(records.map((rec) => rec.length)).toEqual([7, 7, 7, 7, 7, 7]);
    expect(records.map((rec) => rec[3])).toEqual([
      'password',
      '[REDACTED:csv-secret-column]',
      '[REDACTED:csv-secret-column]',
      '',
      'null',
      '',
    ]);
    expect(records[2]![6]).toBe('multi\r\nline note, with a comma');
    expect(csvOut.split('\r\n')).toHaveLength(8); // CRLF kept on every line
  });
});

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (q) {
      if (c === '"' && text[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') q = false;
      else cur += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      row.push(cur);
      cur = '';
    } else if (c === '\r' && text[i + 1] === '\n') continue;
    else if (c === '\n') {
      row.push(cur);
      rows.push(row);
      row = [];
      cur = '';
    } else cur += c;
  }
  return rows;
}

describe('streaming', () => {
  const r = createRedactor();

  it('gives identical output and report for any split into 1-7 byte chunks (property)', async () => {
    const inputs = await Promise.all(corpus.map(async (f) => ({ f, input: await load(f) })));
    const expected = inputs.map(({ f, input }) => r.redactBuffer(input, f.mediaType, f.file));
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 0, max: inputs.length - 1 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 16 }),
        async (i, sizes) => {
          const { f, input } = inputs[i]!;
          const got = await viaStream(r, input, sizes, f.mediaType, f.file);
          expect(got.output.toString('latin1')).toBe(expected[i]!.output.toString('latin1'));
          expect(got.report).toEqual(expected[i]!.report);
        },
      ),
      { numRuns: 60, minRuns: 60 },
    );
  });

  it('handles CRLF split between chunks and a last line without a newline', async () => {
    const token = 'ghp_' + 'Z'.repeat(20) + '0123456789abcdef';
    const input = Buffer.from(`a=1\r\ntoken ${token}\r\nlast password=hunter2x`);
    const whole = r.redactBuffer(input, 'text/plain', 't.txt');
    expect(whole.output.toString()).toBe(
      'a=1\r\ntoken [REDACTED:github-token]\r\nlast password=[REDACTED:secret-assignment]',
    );
    for (let cut = 1; cut < input.length; cut++) {
      const got = await viaStream(r, input, [cut, input.length], 'text/plain', 't.txt');
      expect(got.output.equals(whole.output), `split at ${cut}`).toBe(true);
    }
  });

  it('writes back untouched bytes exactly, whatever the encoding', () => {
    const input = Buffer.concat([
      Buffer.from('caf\u00e9 \u2713 '),
      Buffer.from([0xff, 0xfe, 0x80]),
      Buffer.from(' secret=abc123def\n\u00fcber\n'),
    ]);
    const { output } = r.redactBuffer(input, 'text/plain', 'mixed.txt');
    const expected = Buffer.concat([
      Buffer.from('caf\u00e9 \u2713 '),
      Buffer.from([0xff, 0xfe, 0x80]),
      Buffer.from(' secret=[REDACTED:secret-assignment]\n\u00fcber\n'),
    ]);
    expect(output.equals(expected)).toBe(true);
  });

  it('stores the redacted bytes under their own sha256', async () => {
    const store = await FilesystemStore.open(await tempDir());
    const f = corpus.find((c) => c.file === 'service.env')!;
    const input = await load(f);
    const expected = r.redactBuffer(input, f.mediaType, f.file).output;
    const t = r.redact(Readable.from(split(input, [3, 1, 4, 1, 5])), f.mediaType, f.file);
    const blob = await store.putBlob(t.stream);
    expect(blob.sha256).toBe(sha256(expected));
    expect(blob.sha256).not.toBe(sha256(input));
    expect(blob.size).toBe(expected.length);
    const stored = await readFile(store.blobPath(blob.sha256));
    expect(stored.equals(expected)).toBe(true);
    for (const secret of f.secrets) expect(stored.toString('latin1')).not.toContain(secret);
    expect(t.report().total).toBe(11);
  });

  it('fails the consumer when the source fails (no hang)', async () => {
    const source = new Readable({
      read() {
        this.push(Buffer.from('password=abc123x\n'));
        this.destroy(new Error('connector lost the connection'));
      },
    });
    const store = await FilesystemStore.open(await tempDir());
    await expect(store.putBlob(r.redact(source, 'text/plain', 'x.txt').stream)).rejects.toThrow(
      /connector lost the connection/,
    );
  });

  it('summarizes a report for the manifest without repeating the record', () => {
    const { report } = r.redactBuffer('token=abc123-fake\n', 'text/plain', 'src:notes.txt');
    expect(summarizeRedaction(report)).toEqual({
      engine: 'evidence-hub/redaction@1',
      ruleset: r.ruleset,
      scanned: true,
      total: 1,
      byRule: [{ rule: 'secret-assignment', count: 1, lines: [1] }],
      jsonPaths: [],
      notes: [],
      bytesIn: 18,
    });
  });

  it('refuses to give a report before the stream has ended', () => {
    const t = r.transform('text/plain', 'x.txt');
    expect(() => t.report()).toThrow(/before its stream finished/);
  });
});

describe('long lines', () => {
  const maxLineBytes = 1024;
  const r = createRedactor({ maxLineBytes });
  const filler = (n: number) => {
    const words = [
      'lorem',
      'ipsum',
      'dolor',
      'sit',
      'amet',
      'model',
      'drift',
      '0.934',
      'eval',
      'run-42',
      'consectetur',
      'adipiscing',
    ];
    let s = '';
    for (let i = 0; s.length < n; i++) s += words[(i * 7) % words.length] + ' ';
    return s.slice(0, n);
  };
  const githubToken = 'ghp_' + 'k9Vd2QmX7pL4sT8wY1zB6nC3fH5jR0aE2uG7';
  // 495 characters: as long as a secret can be and still be guaranteed whole (maxLineBytes / 2), far beyond the look-behind
  const longJwt = 'eyJhbGciOiJIUzI1NiJ9.eyJ' + 'x'.repeat(380) + '.' + 'S1g'.repeat(30);
  const secrets = [
    { rule: 'github-token', text: githubToken, secret: githubToken },
    { rule: 'jwt', text: longJwt, secret: longJwt },
    { rule: 'secret-assignment', text: '"password":"Zq8-fake-pw-771"', secret: 'Zq8-fake-pw-771' },
    { rule: 'aws-access-key-id', text: 'AKIA' + 'QX3N5B7D2F4H6J8K', secret: 'AKIA' + 'QX3N5B7D2F4H6J8K' },
  ];
  const redacted = (line: string, s: (typeof secrets)[number]) => line.replace(s.secret, `[REDACTED:${s.rule}]`);

  it('catches a secret at every offset around the window edges', () => {
    const base = filler(5000);
    for (const s of secrets) {
      for (const at of [
        ...range(0, 40),
        ...range(440, 620),
        ...range(900, 1100),
        ...range(1400, 1560),
        ...range(2000, 2100),
      ]) {
        const line = base.slice(0, at) + ' ' + s.text + ' ' + base.slice(at);
        const { output, report } = r.redactBuffer(line + '\n', 'text/plain', 'long.txt');
        const out = output.toString('latin1');
        expect(out, `${s.rule} at ${at}`).toBe(redacted(line, s) + '\n');
        expect(report.byRule).toEqual([{ rule: s.rule, count: 1, lines: [1] }]);
      }
    }
  });

  it('gives the same output for any chunking and offset (property)', async () => {
    const base = filler(4000);
    await assertProperty(
      fc.asyncProperty(
        fc.integer({ min: 0, max: secrets.length - 1 }),
        fc.integer({ min: 0, max: 4000 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 8 }),
        async (which, at, sizes) => {
          const s = secrets[which]!;
          const line = base.slice(0, at) + ' ' + s.text + ' ' + base.slice(at);
          const input = Buffer.from(`short line\r\n${line}\r\nafter password=p4ssw0rd-x\r\n`, 'latin1');
          const got = await viaStream(r, input, sizes, 'text/plain', 'long.txt');
          expect(got.output.toString('latin1')).toBe(
            `short line\r\n${redacted(line, s)}\r\nafter password=[REDACTED:secret-assignment]\r\n`,
          );
          const expectedHits =
            s.rule === 'secret-assignment'
              ? [{ rule: s.rule, count: 2, lines: [2, 3] }]
              : [
                  { rule: s.rule, count: 1, lines: [2] },
                  { rule: 'secret-assignment', count: 1, lines: [3] },
                ].sort((a, b) => (a.rule < b.rule ? -1 : 1));
          expect(got.report.byRule).toEqual(expectedHits);
          expect(got.report.notes.join(' ')).toMatch(/1 line\(s\) longer than maxLineBytes \(1024\)/);
        },
      ),
      { numRuns: 80, minRuns: 80 },
    );
  });

  it('keeps CSV column state across the windows of a long record', async () => {
    const secret = 'pw-' + 'Q7'.repeat(300);
    const input = Buffer.from(`id,notes,password\r\n1,${filler(3000)},${secret}\r\n2,short,"x${secret}"\r\n`);
    const expected = `id,notes,password\r\n1,${filler(3000)},[REDACTED:csv-secret-column]\r\n2,short,"[REDACTED:csv-secret-column]"\r\n`;
    for (const sizes of [undefined, [1], [7, 3], [1000, 24]]) {
      const got = await viaStream(r, input, sizes, 'text/csv', 'x.csv');
      expect(got.output.toString('latin1')).toBe(expected);
      expect(got.report.byRule).toEqual([{ rule: 'csv-secret-column', count: 2, lines: [2, 3] }]);
    }
  });

  it('redacts many secrets on one very long line and leaves the rest of it intact', () => {
    const parts: string[] = [];
    for (let i = 0; i < 300; i++)
      parts.push(`{"id":${i},"sha":"${sha256(String(i)).slice(0, 40)}","token":"tok-${i}-fake-secret"}`);
    const line = `[${parts.join(',')}]`;
    expect(line.length).toBeGreaterThan(20 * maxLineBytes);
    const { output, report } = r.redactBuffer(line, 'application/json', 'records.json');
    const parsed = JSON.parse(output.toString()) as { id: number; sha: string; token: string }[];
    expect(parsed).toHaveLength(300);
    expect(
      parsed.every(
        (p, i) => p.id === i && p.sha === sha256(String(i)).slice(0, 40) && p.token === '[REDACTED:secret-assignment]',
      ),
    ).toBe(true);
    expect(report.byRule).toEqual([{ rule: 'secret-assignment', count: 300, lines: [1] }]);
  });
});

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

describe('JSON paths', () => {
  const doc = {
    service: 'scoring',
    credentials: { token: 'opaque-7f3a9c', session: { id: 's-1', expires: '2025-12-01T00:00:00Z' } },
    users: [
      { name: 'ana', pin: '4711', ssn: '123-45-6789' },
      { name: 'bob', pin: null, ssn: '987-65-4321' },
    ],
    nested: { deeper: { pin: 1234 } },
    'odd key': 'value with spaces',
    commit: '3f786850e387550fdab836ed7e6dc881de23001b',
  };
  const paths = [
    '$.credentials.session',
    '$..pin',
    '$.users[*].ssn',
    "$['odd key']",
    '$.users[0].name',
    '$.absent.path',
  ];

  it('replaces the selected values, keeps the document valid and counts per path', () => {
    const r = createRedactor({ jsonPaths: paths });
    const input = JSON.stringify(doc, null, 2) + '\n';
    const { output, report } = r.redactBuffer(input, 'application/json', 'doc.json');
    const out = JSON.parse(output.toString()) as typeof doc;
    const m = '[REDACTED:json-path]';
    expect(out).toEqual({
      service: 'scoring',
      credentials: { token: '[REDACTED:secret-assignment]', session: m },
      users: [
        { name: m, pin: m, ssn: m },
        { name: 'bob', pin: null, ssn: m },
      ],
      nested: { deeper: { pin: m } },
      'odd key': m,
      commit: doc.commit,
    });
    expect(report.jsonPaths).toEqual([
      { path: '$.credentials.session', count: 1, lines: [5] },
      { path: '$..pin', count: 2, lines: [10, 21] },
      { path: '$.users[*].ssn', count: 2, lines: [11, 16] },
      { path: "$['odd key']", count: 1, lines: [24] },
      { path: '$.users[0].name', count: 1, lines: [9] },
      { path: '$.absent.path', count: 0, lines: [] },
    ]);
    // line numbers refer to the stored document, where the session object shrank to one line
    const outLines = output.toString().split('\n');
    expect(outLines[4]).toContain('"session": "[REDACTED:json-path]"');
    expect(outLines[9]).toContain('"pin": "[REDACTED:json-path]"');
    expect(outLines[23]).toContain('"odd key": "[REDACTED:json-path]"');
    expect(report.total).toBe(1 + 1 + 2 + 2 + 1 + 1);
  });

  it('gives the same result for any chunking (property)', async () => {
    const r = createRedactor({ jsonPaths: paths });
    const input = Buffer.from(JSON.stringify(doc, null, 1));
    const whole = r.redactBuffer(input, 'application/json', 'doc.json');
    await assertProperty(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 8 }), async (sizes) => {
        const got = await viaStream(r, input, sizes, 'application/json', 'doc.json');
        expect(got.output.equals(whole.output)).toBe(true);
        expect(got.report).toEqual(whole.report);
      }),
      { numRuns: 30, minRuns: 30 },
    );
  });

  it('matches keys written with escapes or non-ASCII characters', () => {
    const r = createRedactor({ jsonPaths: ['$.pässwort', '$.sp'] });
    const input = '{"p\\u00e4sswort": "geheim", "\\u0073p": 1, "x": "ok"}';
    const { output, report } = r.redactBuffer(Buffer.from(input), 'application/json; charset=utf-8', 'd.json');
    expect(output.toString()).toBe(
      '{"p\\u00e4sswort": "[REDACTED:json-path]", "\\u0073p": "[REDACTED:json-path]", "x": "ok"}',
    );
    expect(report.jsonPaths.map((p) => p.count)).toEqual([1, 1]);
  });

  it('falls back to patterns above maxJsonBytes and says so', () => {
    const r = createRedactor({ jsonPaths: ['$..pin'], maxJsonBytes: 64 });
    const input = JSON.stringify({ pin: '4711', padding: 'x'.repeat(100), password: 'hunter2-fake' });
    const { output, report } = r.redactBuffer(input, 'application/json', 'big.json');
    expect(output.toString()).toBe(
      JSON.stringify({ pin: '4711', padding: 'x'.repeat(100), password: '[REDACTED:secret-assignment]' }),
    );
    expect(report.jsonPaths).toEqual([]);
    expect(report.notes).toEqual(['JSON paths not applied: document larger than maxJsonBytes (64); patterns only']);
    expect(report.total).toBe(1);
  });

  it('falls back to patterns for invalid JSON and ignores paths for other media types', () => {
    const r = createRedactor({ jsonPaths: ['$.pin'] });
    const bad = r.redactBuffer('{"pin": "4711", "token": "abc123-fake",', 'application/json', 'bad.json');
    expect(bad.output.toString()).toBe('{"pin": "4711", "token": "[REDACTED:secret-assignment]",');
    expect(bad.report.notes[0]).toMatch(/^JSON paths not applied: not valid JSON \(.+ at line 1\); patterns only$/);
    const yaml = r.redactBuffer('pin: "4711"\n', 'application/yaml', 'x.yaml');
    expect(yaml.output.toString()).toBe('pin: "4711"\n');
    expect(yaml.report.jsonPaths).toEqual([]);
  });

  it('parses the supported JSONPath subset and rejects the rest clearly', () => {
    expect(parseJsonPath('$..password')).toEqual([{ deep: true, name: 'password' }]);
    expect(parseJsonPath("$.a[2]['b.c'][*].*")).toEqual([
      { deep: false, name: 'a' },
      { deep: false, index: 2 },
      { deep: false, name: 'b.c' },
      { deep: false },
      { deep: false },
    ]);
    expect(() => parseJsonPath('credentials.token')).toThrow(/must start with "\$"/);
    expect(() => parseJsonPath('$')).toThrow(/selects the whole document/);
    expect(() => parseJsonPath('$.users[?(@.admin)]')).toThrow(/filters, slices and unions are not supported/);
  });
});

describe('binary artifacts', () => {
  const r = createRedactor();
  const secretish = Buffer.from(' password=hunter2-fake ghp_' + 'a'.repeat(36) + ' ');
  const cases: [string, string, Buffer][] = [
    [
      'image/png',
      'logo.png',
      Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), secretish]),
    ],
    ['application/pdf', 'policy.pdf', Buffer.concat([Buffer.from('%PDF-1.7\n'), secretish, Buffer.from('\n%%EOF\n')])],
    ['application/zip', 'bundle.zip', Buffer.concat([Buffer.from('PK\x03\x04'), secretish])],
    ['application/gzip', 'logs.gz', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), secretish])],
    [
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'policy.docx',
      Buffer.concat([Buffer.from('PK\x03\x04'), secretish]),
    ],
    ['application/vnd.ms-excel', 'register.xls', Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0]), secretish])],
  ];

  it.each(cases)('passes %s through unchanged and says it was not scanned', async (mediaType, id, input) => {
    const got = await viaStream(r, input, [5, 3], mediaType, id);
    expect(got.output.equals(input)).toBe(true);
    expect(got.report).toMatchObject({
      scanned: false,
      reason: `binary media type ${mediaType}`,
      total: 0,
      byRule: [],
      bytesIn: input.length,
      bytesOut: input.length,
    });
  });

  it('sniffs application/octet-stream: NUL bytes mean binary, otherwise it is scanned as text', async () => {
    const binary = Buffer.concat([Buffer.from([0x00, 0x01, 0x02]), secretish]);
    const b = await viaStream(r, binary, [2], 'application/octet-stream', 'blob.bin');
    expect(b.output.equals(binary)).toBe(true);
    expect(b.report).toMatchObject({
      scanned: false,
      reason: 'binary content (NUL bytes) in application/octet-stream',
    });
    const text = await viaStream(r, Buffer.from('TOKEN=abc123-fake\n'), [1], 'application/octet-stream', 'service.env');
    expect(text.output.toString()).toBe('TOKEN=[REDACTED:secret-assignment]\n');
    expect(text.report.scanned).toBe(true);
  });

  it('passes everything through when disabled', () => {
    const off = createRedactor({ enabled: false });
    const input = Buffer.from('password=hunter2-fake\n');
    const { output, report } = off.redactBuffer(input, 'text/plain', 'x.txt');
    expect(output.equals(input)).toBe(true);
    expect(report).toMatchObject({ scanned: false, reason: 'redaction disabled by configuration', total: 0 });
  });
});

describe('false positives', () => {
  const r = createRedactor();
  const keep = [
    'commit 3f786850e387550fdab836ed7e6dc881de23001b merged into main',
    'abbreviated 3f78685 and full 0beec7b5ea3f0fdbc95d0dd47f3c5bc275da8a33',
    'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    'digest: 2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
    'sha512 ee26b0dd4af7e749aa1a8ee3c10ae9923f618980772e473f8819a5d4940e0db27ac185f8a0e1d5f84f88bc887fd67b143732c304cc5fa9ad8e6f57f50028a8ff',
    'request 123e4567-e89b-12d3-a456-426614174000 and run 5F0C7A2E-3B1D-4C8E-9F6A-2D7B8E1C4A90',
    'at 2025-11-03T09:14:27.118Z, 2025-11-03T10:14:27+01:00 and 2025-11-03 09:14:27',
    'Passwords must be rotated every 90 days; tokens expire after 24 hours.',
    'Password: must never be shared, not even with the service desk.',
    'The secret sauce is the evaluation protocol; see the token budget below.',
    'max_tokens: 4096',
    'token_count=1532 tokens=88 tokenizer=bpe',
    '"max_tokens": 4096, "token_usage": {"prompt": 12}, "secretName": "db-creds"',
    'password_policy: strict',
    'passwordless: true',
    'secretRef: registry-credentials',
    'nextPageToken: CgwIABIIc29tZXRoaW5nEAE',
    'password: ""',
    "token: ''",
    'token: null',
    'api_key: ${API_KEY}',
    'token: ${{ secrets.GITHUB_TOKEN }}',
    'password: "{{ .Values.db.password }}"',
    'password = os.environ["DB_PASSWORD"]',
    'secret: ENC[AES256_GCM,data:Zm9v,iv:YmFy,tag:YmF6,type:str]',
    'password=********',
    'Bearer authentication is used between services; the bearer token is never logged.',
    'Authorization: the process of granting access rights, reviewed quarterly.',
    'see https://example.com/docs?page=2#passwords and git@github.com:acme/models.git',
    'mailto:security@example.com and https://user@example.com/path',
    'AKIAS are not keys: AKIA1234 too short; ghp_short is prose; xoxb- alone',
    'eyJ is a JSON prefix; eyJhbGciOiJIUzI1NiJ9 alone is not a token',
    'Never commit a -----BEGIN RSA PRIVATE KEY----- header; the build fails.',
    'The next line is ordinary prose and must survive.',
    'version 2.4.1, accuracy 0.934, p95 latency 120ms, model gpt-4o-mini',
    'base64 of the policy: UG9saWN5IHRleHQgZm9yIHRoZSBBSSBzeXN0ZW0u',
  ];

  it('leaves hashes, ids, timestamps, ordinary words and placeholders alone', () => {
    for (const mediaType of ['text/plain', 'text/markdown', 'application/octet-stream']) {
      const input = keep.join('\n') + '\n';
      const { output, report } = r.redactBuffer(input, mediaType, 'notes');
      expect(output.toString('utf8'), mediaType).toBe(input);
      expect(report.byRule, mediaType).toEqual([]);
    }
  });
});

describe('rules in detail', () => {
  const r = createRedactor();
  const red = (s: string, mediaType = 'text/plain') => r.redactBuffer(s, mediaType, 'x').output.toString('utf8');

  it.each([
    ['Authorization: Bearer abc.def-ghi_123', 'Authorization: Bearer [REDACTED:bearer-token]'],
    ['"authorization": "Basic dXNlcjpwYXNz"', '"authorization": "Basic [REDACTED:basic-auth]"'],
    [
      'proxy-authorization=Negotiate YIIGhgYGKwYBBQUCoIIGejCCBnag',
      'proxy-authorization=Negotiate [REDACTED:authorization-header]',
    ],
    [
      'curl -H "X-Api-Key: 9f8e7d6c5b4a39281706" https://x',
      'curl -H "X-Api-Key: [REDACTED:secret-assignment]" https://x',
    ],
    ['x-api-key: 9f8e7d6c5b4a39281706', 'x-api-key: [REDACTED:secret-assignment]'],
    [
      'mysql://root:pw123@localhost/db and redis://:s3cret@cache:6379',
      'mysql://root:[REDACTED:url-credentials]@localhost/db and redis://:[REDACTED:url-credentials]@cache:6379',
    ],
    ['spring.datasource.password=hunter2 with spaces', 'spring.datasource.password=[REDACTED:secret-assignment]'],
    ['  - password: s3cret-Value # note', '  - password: [REDACTED:secret-assignment] # note'],
    [
      'config = {"client_secret": "abc\\"def", "x": 1}',
      'config = {"client_secret": "[REDACTED:secret-assignment]", "x": 1}',
    ],
    ['log: {\\"password\\":\\"hunter2x\\"}', 'log: {\\"password\\":\\"[REDACTED:secret-assignment]\\"}'],
    ['opts(password="p@ss w0rd", user="bob")', 'opts(password="[REDACTED:secret-assignment]", user="bob")'],
    [
      'https://api.example.com/v1?access_token=abc123xyz&page=2',
      'https://api.example.com/v1?access_token=[REDACTED:secret-assignment]&page=2',
    ],
    [
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      'aws_secret_access_key = [REDACTED:aws-secret-access-key]',
    ],
    [
      'hooks https://hooks.slack.com/workflows/T0AAA/A0BBB/123/abcDEF',
      'hooks https://hooks.slack.com/workflows/[REDACTED:slack-webhook]',
    ],
    ['xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTAxMi0xMjM0NTY3ODkw', '[REDACTED:slack-token]'],
  ])('%s', (input, expected) => {
    expect(red(input + '\n')).toBe(expected + '\n');
  });

  it('redacts YAML block scalars under secret keys until the indentation ends', () => {
    const input = 'db:\n  password: |\n    line one of it\n\n    line two\n  user: bob\n';
    const { output, report } = r.redactBuffer(input, 'application/yaml', 'x.yaml');
    expect(output.toString()).toBe(
      'db:\n  password: |\n    [REDACTED:secret-assignment]\n\n    [REDACTED:secret-assignment]\n  user: bob\n',
    );
    expect(report.byRule).toEqual([{ rule: 'secret-assignment', count: 1, lines: [2] }]);
  });

  it('ends a key block at the first line that is not key material', () => {
    const begin = '-----BEGIN PRIVATE KEY-----';
    const input = `${begin}\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nthis is prose, not base64\n`;
    expect(red(input)).toBe(`${begin}\n[REDACTED:private-key]\nthis is prose, not base64\n`);
  });

  it('lists at most the first line numbers but counts every hit', () => {
    const input = Array.from({ length: 150 }, (_, i) => `line ${i} token=t0k3n-${i}`).join('\n');
    const { report } = r.redactBuffer(input, 'text/plain', 'x');
    expect(report.byRule).toEqual([
      { rule: 'secret-assignment', count: 150, lines: range(1, maxReportedLines + 1), linesTruncated: true },
    ]);
  });
});

describe('configuration', () => {
  it('has defaults for everything', () => {
    expect(redactionConfigSchema.parse({})).toEqual({
      enabled: true,
      patterns: [],
      jsonPaths: [],
      disable: [],
      maxJsonBytes: 32 * 1024 * 1024,
      maxLineBytes: 1024 * 1024,
    });
  });

  it('applies extra patterns, replacing only a `secret` group when there is one', () => {
    const r = createRedactor({
      patterns: [
        { name: 'acme-key', regex: 'ACME-[0-9A-F]{16}' },
        { name: 'ticket-pin', regex: 'PIN (?<secret>\\d{4,8})\\b', flags: 'i' },
      ],
    });
    const { output, report } = r.redactBuffer('key ACME-0123456789ABCDEF\npin 48151623 ok\n', 'text/plain', 'x');
    expect(output.toString()).toBe('key [REDACTED:acme-key]\npin [REDACTED:ticket-pin] ok\n');
    expect(report.byRule.map((h) => h.rule)).toEqual(['acme-key', 'ticket-pin']);
    expect(r.rules).toContain('acme-key');
  });

  it('switches off disabled rules', () => {
    const r = createRedactor({ disable: ['secret-assignment', 'jwt'] });
    const input = 'password=hunter2x ghp_' + 'b'.repeat(36) + '\n';
    expect(r.redactBuffer(input, 'text/plain', 'x').output.toString()).toBe(
      'password=hunter2x [REDACTED:github-token]\n',
    );
    expect(r.rules).not.toContain('secret-assignment');
    expect(createRedactor().ruleset).not.toBe(r.ruleset);
  });

  it('rejects bad regexes and other mistakes with messages that name the field', () => {
    const bad = (config: unknown) => {
      try {
        createRedactor(config as never);
      } catch (err) {
        expect(err).toBeInstanceOf(RedactionConfigError);
        return (err as Error).message;
      }
      throw new Error('expected a config error');
    };
    expect(bad({ patterns: [{ name: 'broken', regex: 'ACME-(' }] })).toBe(
      'invalid redaction config:\n  redaction.patterns.0.regex: invalid regular expression "ACME-(": Unterminated group',
    );
    expect(bad({ patterns: [{ name: 'everything', regex: 'x*' }] })).toMatch(
      /redaction\.patterns\.0\.regex: regular expression "x\*" matches the empty string/,
    );
    expect(bad({ patterns: [{ name: 'github-token', regex: 'x' }] })).toMatch(
      /patterns\.0\.name: "github-token" is a built-in rule name/,
    );
    expect(bad({ patterns: [{ name: 'Bad Name', regex: 'x' }] })).toMatch(
      /patterns\.0\.name: must be 1-63 lowercase letters/,
    );
    expect(bad({ patterns: [{ name: 'x', regex: 'y', flags: 'g' }] })).toMatch(
      /patterns\.0\.flags: only the flags i, m, s and u/,
    );
    expect(bad({ disable: ['github'] })).toMatch(
      /redaction\.disable\.0: unknown rule "github"; built-in rules: private-key, /,
    );
    expect(bad({ jsonPaths: ['credentials.token'] })).toMatch(
      /redaction\.jsonPaths\.0: JSON path "credentials.token": must start with "\$"/,
    );
    expect(bad({ maxLineBytes: 10 })).toMatch(/redaction\.maxLineBytes/);
    expect(bad({ extra: true })).toMatch(/Unrecognized key/);
  });
});
