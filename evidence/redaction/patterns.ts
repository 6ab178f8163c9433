/**
 * Built-in redaction rules. Each rule finds candidate secrets in one line of text (or one bounded
 * window of a very long line) and says which part of the match is the secret; the engine in
 * `line-engine.ts` resolves overlaps, replaces the secret part with `[REDACTED:<rule>]` and keeps the rest
 * (key names, quotes, URL hosts, header names), so the document stays readable and keeps its syntax.
 *
 * The patterns are written so that this file never contains anything that looks like a credential
 * itself (a repository check flags those outside test fixtures): literal prefixes are split with
 * character classes and the key-block markers are assembled from pieces.
 *
 * Text is handled as latin1 ("binary") strings: one char per byte, so bytes that are not touched are
 * written back exactly, whatever the encoding of the artifact. Every secret format below is ASCII.
 */

import { isPlaceholder, isSecretName, pemHeaderSource, regexRule, type Rule } from './rule';

// ---------------------------------------------------------------------------------------------------
// Token formats with a recognisable shape

const privateKeyInline = regexRule(
  'private-key',
  'PEM/PGP key material on one line (escaped \\n in JSON, flattened environment values)',
  [
    new RegExp(
      pemHeaderSource + String.raw`(?<secret>(?:\\[rnt]|[A-Za-z0-9+/= \t:,.]|-(?!----E` + String.raw`ND ))+)`,
      'gd',
    ),
  ],
  // Prose that merely names the block ("... never commit these") has no base64 run.
  (secret) => /[A-Za-z0-9+/=]{16,}/.test(secret),
);

const awsAccessKeyId = regexRule('aws-access-key-id', 'AWS access key ids (long-term and temporary)', [
  /(?<![A-Za-z0-9])(?<secret>(?:A[K]IA|A[S]IA|A[B]IA|A[C]CA)[A-Z0-9]{16})(?![A-Za-z0-9])/dg,
]);

const awsSecretAccessKey = regexRule('aws-secret-access-key', 'AWS secret access keys after a key name that says so', [
  /(?<![A-Za-z0-9])(?:aws[_-]?secret[_-]?(?:access[_-]?)?key|secret[_-]?access[_-]?key)(?:[_-]?id)?\\?["']?\s*(?:=>|:=|[:=])\s*\\?["']?(?<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])/dgi,
]);

const githubToken = regexRule(
  'github-token',
  'GitHub personal, OAuth, user, server and refresh tokens, fine-grained PATs',
  [
    /(?<![A-Za-z0-9_])(?<secret>g[h][pousr]_[A-Za-z0-9]{36,251})(?![A-Za-z0-9_])/dg,
    /(?<![A-Za-z0-9_])(?<secret>git[h]ub_pat_[A-Za-z0-9_]{22,255})(?![A-Za-z0-9_])/dg,
  ],
);

const slackToken = regexRule('slack-token', 'Slack bot, user, app-level, workspace and refresh tokens', [
  /(?<![A-Za-z0-9])(?<secret>(?:xox[e]\.)?x[o]x[abposre]-[A-Za-z0-9-]{10,250})/dg,
  /(?<![A-Za-z0-9])(?<secret>x[a]pp-[0-9]+-[A-Za-z0-9-]{10,250})/dg,
]);

const slackWebhook = regexRule('slack-webhook', 'Slack incoming-webhook and workflow URLs (the path is the secret)', [
  /\bhttps?:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/(?<secret>[A-Za-z0-9_/-]{8,})/dg,
]);

const jwt = regexRule('jwt', 'JSON Web Tokens (header.payload.signature, base64url)', [
  /(?<![A-Za-z0-9_-])(?<secret>ey[J][A-Za-z0-9_-]{8,}\.ey[J][A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*)/dg,
]);

const urlCredentials = regexRule(
  'url-credentials',
  'passwords in URLs (scheme://user:password@host); the user name is kept',
  [/\b[A-Za-z][A-Za-z0-9+.-]{1,20}:\/\/[^\s:/?#@"'<>[\]{}|\\^`]*:(?<secret>[^\s/?#@"'<>{}|\\^`]+)@(?=[A-Za-z0-9[])/dg],
);

// ---------------------------------------------------------------------------------------------------
// Authorization headers and bearer tokens

const headerRe = /(?<![A-Za-z0-9_-])(?:proxy-)?authorization\\?["']?\s*[:=]\s*\\?["']?/gi;
const schemeRe =
  /(?:(?<scheme>bearer|basic|token|digest|negotiate|ntlm|bot|apikey|api-key|sso-key|hmac|aws4-hmac-sha256)[ \t]+)?(?<cred>[^\s"'\\,;]+)/iy;
const tokenChars = /^[A-Za-z0-9\-._~+/]+=*$/;

/** `Authorization: Bearer x`, `"authorization": "Basic x"`, `Authorization: token x`: the credential after the scheme. */
const authorizationHeader: Rule = {
  name: 'authorization-header',
  description:
    'credentials in Authorization / Proxy-Authorization headers (bearer-token and basic-auth name the common schemes)',
  find(text, from, _ctx, priority, out) {
    headerRe.lastIndex = from;
    let m: RegExpExecArray | null;
    while ((m = headerRe.exec(text)) !== null) {
      schemeRe.lastIndex = headerRe.lastIndex;
      const v = schemeRe.exec(text);
      if (!v || !v.groups) continue;
      const cred = v.groups['cred'] ?? '';
      const scheme = (v.groups['scheme'] ?? '').toLowerCase();
      if (isPlaceholder(cred)) continue;
      // Without a known scheme the value must look like a credential ("Authorization: the process of ..." is prose).
      if (scheme === '' && !((cred.length >= 8 && /[0-9]/.test(cred)) || cred.length >= 20)) continue;
      const credStart = schemeRe.lastIndex - cred.length;
      const rule = scheme === 'bearer' ? 'bearer-token' : scheme === 'basic' ? 'basic-auth' : 'authorization-header';
      out.push({
        start: m.index,
        end: schemeRe.lastIndex,
        secretStart: credStart,
        secretEnd: schemeRe.lastIndex,
        rule,
        priority,
      });
    }
  },
};

/** A bare `Bearer <token>` outside a header (curl commands, logs). Prose ("bearer authentication") is left alone. */
const bearerToken = regexRule(
  'bearer-token',
  'bearer tokens in Authorization headers or after the word Bearer',
  [/\b[Bb]earer[ \t]+(?<secret>[A-Za-z0-9\-._~+/]{16,}=*)(?![A-Za-z0-9\-._~+/=])/dg],
  (secret) => /[0-9]/.test(secret) && tokenChars.test(secret),
);

// ---------------------------------------------------------------------------------------------------
// Generic `name = value` / `name: value` assignments in JSON, YAML, .env, ini, logs, code

const keyword = String.raw`(?:(?:api|access|private|secret|auth|encryption|signing|master)[_.-]?key|password|passwd|passphrase|secret|token|credentials?)`;
const assignmentRe = new RegExp(`${keyword}(?=\\\\?["']?[ \\t]*(?:=>|:=|:(?!:)|=(?!=)))`, 'gi');
const sepRe = /\\?(["']?)[ \t]*(=>|:=|:|=)[ \t]*/y;
/** `config.password`, `os.environ["X"]`, `get_secret("db")`: code that reads a secret, not the secret. */
const codeReference = /^(?:[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+;?|[A-Za-z_$][\w$.]*\s*(?:\(.*\)|\[.*\])[;,]?)$/;
const keyChars = /[A-Za-z0-9_.-]/;
const lineStartPrefix = /^[ \t]*(?:export[ \t]+|-[ \t]+|set[ \t]+)?\\?["']?$/;
const inlineBareEnd = /[\s"'`,;&<>(){}[\]]/;

/** Parses a quoted value starting at `i` (the quote). Returns [contentStart, contentEnd, afterClose]; unterminated runs to the end. */
function quoted(text: string, i: number): [number, number, number] {
  if (text.startsWith('\\"', i)) {
    const close = text.indexOf('\\"', i + 2);
    return close < 0 ? [i + 2, text.length, text.length] : [i + 2, close, close + 2];
  }
  const q = text[i]!;
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (q === '"' && c === '\\') {
      j++;
      continue;
    }
    if (c === q) {
      if (q === "'" && text[j + 1] === "'") {
        j++; // YAML '' escape
        continue;
      }
      return [i + 1, j, j + 1];
    }
  }
  return [i + 1, text.length, text.length];
}

/** A bare value outside YAML/.env line starts must look like a credential, not like a word of prose. */
function looksLikeSecret(v: string): boolean {
  if (v.length >= 6 && /[0-9]/.test(v)) return true;
  return v.length >= 12 && /[A-Z]/.test(v) && /[a-z]/.test(v);
}

const secretAssignment: Rule = {
  name: 'secret-assignment',
  description: 'values of fields named like password, passwd, secret, token, api_key, *_key, credentials',
  find(text, from, ctx, priority, out) {
    assignmentRe.lastIndex = from;
    let m: RegExpExecArray | null;
    while ((m = assignmentRe.exec(text)) !== null) {
      let ks = m.index;
      while (ks > 0 && keyChars.test(text[ks - 1]!)) ks--;
      const keyEnd = m.index + m[0].length;
      if (ks < from || !isSecretName(text.slice(ks, keyEnd))) continue;
      if (text.startsWith('://', ks - 3)) continue; // URL user info (scheme://x-access-token:...@host): url-credentials' case
      sepRe.lastIndex = keyEnd;
      const sep = sepRe.exec(text);
      if (!sep) continue;
      const before = text[ks - 1];
      // "password": ... (a JSON or dict key), not "X-Api-Key: ..." (a quoted header line)
      const keyQuoted = (before === '"' || before === "'") && sep[1] === before;
      const sepKind = sep[2];
      const vs = sepRe.lastIndex;
      const first = text[vs];
      let secretStart: number;
      let secretEnd: number;
      let end: number;
      if (first === '"' || first === "'" || text.startsWith('\\"', vs)) {
        [secretStart, secretEnd, end] = quoted(text, vs);
      } else if (first === undefined || keyQuoted) {
        continue; // nothing after the separator, or a JSON number / boolean / object after a quoted key
      } else {
        const lineStart = ctx.lineStart && ks < 256 && lineStartPrefix.test(text.slice(0, ks));
        if (lineStart) {
          // YAML `key: value`, .env / ini `KEY=value`: the value runs to the end of the line, minus a comment.
          let rest = text.slice(vs);
          const hash = rest.search(/[ \t]#/);
          if (hash >= 0) rest = rest.slice(0, hash);
          rest = rest.replace(/[ \t]+$/, '');
          if (/^[|>{[&*!#]/.test(rest)) continue; // block scalar (handled line by line), structure, anchors, tags
          if (sepKind === ':' && ctx.format !== 'yaml' && /\s/.test(rest)) continue; // "Password: must be 12 characters" in prose
          secretStart = vs;
          secretEnd = vs + rest.length;
        } else {
          let e = vs;
          while (e < text.length && !inlineBareEnd.test(text[e]!)) e++;
          secretStart = vs;
          secretEnd = e;
          if (sepKind === ':' && !looksLikeSecret(text.slice(vs, e))) continue;
        }
        end = secretEnd;
      }
      const secret = text.slice(secretStart, secretEnd);
      if (secretEnd <= secretStart || isPlaceholder(secret)) continue;
      if (!(first === '"' || first === "'" || first === '\\') && codeReference.test(secret)) continue;
      if (secret.includes('-----BEG' + 'IN ')) continue; // key blocks are the private-key rule's, line by line
      out.push({ start: ks, end, secretStart, secretEnd, rule: 'secret-assignment', priority });
    }
  },
};

/**
 * Rules in priority order: when two candidates claim the same secret, the earlier (more specific) rule
 * names it. User patterns come after these and before `secret-assignment`.
 */
export const specificRules: readonly Rule[] = [
  privateKeyInline,
  awsAccessKeyId,
  awsSecretAccessKey,
  githubToken,
  slackToken,
  slackWebhook,
  jwt,
  urlCredentials,
  authorizationHeader,
  bearerToken,
];
export const genericRules: readonly Rule[] = [secretAssignment];

/** Rules applied by the line-level state machines in the engine rather than by `find`. */
export const structuralRuleNames = ['csv-secret-column'] as const;

/** Every built-in rule name a config may `disable` (bearer-token and basic-auth are named by authorization-header too). */
export const builtinRuleNames: readonly string[] = [
  ...new Set([
    ...specificRules.map((r) => r.name),
    'bearer-token',
    'basic-auth',
    ...genericRules.map((r) => r.name),
    ...structuralRuleNames,
  ]),
];

/**
 * Cheap test run once per line before the built-in rules: a line without any of these fragments cannot
 * hold a built-in match, which keeps large, clean logs fast.
 */
export const builtinPrefilter = new RegExp(
  [
    'A[K]IA',
    'A[S]IA',
    'A[B]IA',
    'A[C]CA',
    'g[h][pousr]_',
    'git[h]ub_pat_',
    'x[o]x',
    'x[a]pp-',
    'ey[J]',
    '://',
    'bearer',
    'authorization',
    'PRIVATE\\x20KEY',
    'pass',
    'secret',
    'token',
    'key',
    'credential',
  ].join('|'),
  'i',
);
