/**
 * What a redaction rule is, the marker that replaces a secret, and the helpers the rules in
 * `patterns.ts` and the line engine share. Like `patterns.ts`, this file must never contain anything
 * that looks like a credential itself: the key-block markers are assembled from pieces.
 */

/** A candidate found by a rule: the whole match (context included) and the part to replace. */
export interface Candidate {
  start: number;
  end: number;
  secretStart: number;
  secretEnd: number;
  rule: string;
  priority: number;
}

export type TextFormat = 'json' | 'yaml' | 'csv' | 'text';

export interface RuleContext {
  /** True when index 0 of the text is the start of a line (false in the later windows of a long line). */
  lineStart: boolean;
  format: TextFormat;
}

export interface Rule {
  readonly name: string;
  readonly description: string;
  /** Appends candidates that start at or after `from` (text before `from` is look-behind context only). */
  find(text: string, from: number, ctx: RuleContext, priority: number, out: Candidate[]): void;
}

/** Marker that replaces a secret. Never matched by any rule, so redacting twice changes nothing. */
export function marker(rule: string): string {
  return `[REDACTED:${rule}]`;
}

// ---------------------------------------------------------------------------------------------------
// Shared helpers

/**
 * Values that stand for a secret without being one: empty, booleans, null, template references,
 * masked values, our own markers, encrypted (sops) values. Redacting those would only destroy evidence
 * (e.g. that a template reads the password from the environment).
 */
export function isPlaceholder(value: string): boolean {
  const t = value.trim();
  if (t === '') return true;
  if (/^(?:null|nil|none|undefined|true|false|yes|no|on|off|~)$/i.test(t)) return true;
  if (
    /^(?:\$\{[^}]*\}|\$\{\{[^}]*\}\}|\$\([^)]*\)|\{\{[^}]*\}\}|<[^<>]*>|%\([\w.]+\)s|\$[A-Za-z_][A-Za-z0-9_]*|%[A-Za-z_][A-Za-z0-9_]*%)$/.test(
      t,
    )
  ) {
    return true;
  }
  if (/^[*xX.#]+$/.test(t)) return true; // masked: ****, xxxx
  if (/^\[?redacted(?::[a-z0-9-]*)?\]?$/i.test(t) || /^\[REDACTED:[a-z0-9-]+\]$/.test(t)) return true;
  if (/^ENC\[[^\]]*\]$/.test(t)) return true; // sops-encrypted value: ciphertext, kept as evidence
  if (/^arn:aws[\w-]*:secretsmanager:/.test(t)) return true; // a reference to a secret, not the secret
  return false;
}

/** Key words that make a field name secret-bearing when the name ends with them. */
const secretNameEndings = [
  'password',
  'passwd',
  'passphrase',
  'secret',
  'token',
  'credential',
  'credentials',
  'apikey',
  'accesskey',
  'privatekey',
  'secretkey',
  'authkey',
  'encryptionkey',
  'signingkey',
  'masterkey',
];
/** Names that end like a secret but are not one: pagination cursors, references to secret objects. */
const nonSecretNameEndings = ['pagetoken', 'nexttoken', 'continuationtoken', 'synctoken', 'resumetoken', 'cursortoken'];
const nonSecretNamePrefixes = ['existing'];

/**
 * Whether a field name (JSON key, YAML key, env variable, CSV header) names a secret:
 * `DB_PASSWORD`, `clientSecret`, `api-key`, `Access Token`. Plurals (`max_tokens`), names that merely
 * start with a key word (`token_count`, `password_policy`, `secret_name`) and pagination cursors
 * (`nextPageToken`) do not.
 */
export function isSecretName(name: string): boolean {
  const n = name.toLowerCase().replace(/[^a-z0-9]/g, '');
  if (n === '') return false;
  if (!secretNameEndings.some((e) => n.endsWith(e))) return false;
  if (nonSecretNameEndings.some((e) => n.endsWith(e))) return false;
  if (nonSecretNamePrefixes.some((p) => n.startsWith(p))) return false;
  return true;
}

const pemLabel = String.raw`(?:[A-Z0-9]+ )*PRIVATE\x20KEY(?: BLOCK)?`;
/** Opening line of a PEM/PGP key block (RSA, EC, DSA, OPENSSH, ENCRYPTED, PGP ... BLOCK). */
export const pemHeaderSource = String.raw`-----BEG` + String.raw`IN ${pemLabel}-----`;
/** Closing line of such a block. */
export const pemFooterSource = String.raw`-----E` + String.raw`ND ${pemLabel}-----`;

/**
 * A rule made of regular expressions (flags must include `g` and `d`); a `secret` group narrows the part
 * replaced. Built-in rules skip placeholders (`changeme`, `<token>`); a pattern someone configured means
 * what it says, so it passes `skipPlaceholders: false`.
 */
export function regexRule(
  name: string,
  description: string,
  patterns: RegExp[],
  accept?: (secret: string, m: RegExpExecArray, text: string) => boolean,
  skipPlaceholders = true,
): Rule {
  for (const re of patterns) {
    if (!re.global || !re.hasIndices) throw new Error(`rule ${name}: pattern ${re} needs the g and d flags`);
  }
  return {
    name,
    description,
    find(text, from, _ctx, priority, out) {
      for (const re of patterns) {
        re.lastIndex = from;
        let m: RegExpExecArray | null;
        while ((m = re.exec(text)) !== null) {
          if (m[0].length === 0) {
            re.lastIndex++;
            continue;
          }
          const span = m.indices?.groups?.['secret'] ?? m.indices?.[0];
          if (!span) continue;
          const secret = text.slice(span[0], span[1]);
          if (span[1] <= span[0] || (skipPlaceholders && isPlaceholder(secret))) continue;
          if (accept && !accept(secret, m, text)) continue;
          out.push({
            start: m.index,
            end: m.index + m[0].length,
            secretStart: span[0],
            secretEnd: span[1],
            rule: name,
            priority,
          });
        }
      }
    },
  };
}
