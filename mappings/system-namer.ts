import { textAt } from './ai-systems';
import type { SelectableArtifact } from './select';

/** `per: aiSystem` rules (per-system.ts): how a record names the AI system it is evidence for. */

/** How a record names its AI system (schema.ts `systemFrom`). */
export type SystemFrom = { attribute: string } | { tag: string } | { pathPattern: string };

/** The AI system a record names, or undefined when it names none. */
export type SystemNamer = (a: SelectableArtifact) => string | undefined;

/**
 * `attribute`: a dotted attribute (`frontMatter.system`). `tag`: a registry or object tag (`tags.<name>`).
 * `pathPattern`: the record's path (a document's `path`, an object's `key`) against a glob in which
 * `{system}` stands for one path segment: `assessments/{system}/**`.
 */
export function systemNamer(from: SystemFrom): SystemNamer {
  if ('attribute' in from) return (a) => textAt(a, from.attribute);
  if ('tag' in from) {
    const tag = from.tag;
    return (a) => {
      const tags = a.attributes['tags'];
      const v =
        tags !== null && typeof tags === 'object' && !Array.isArray(tags)
          ? (tags as Record<string, unknown>)[tag]
          : undefined;
      return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
    };
  }
  const re = patternRegex(from.pathPattern);
  return (a) => {
    const p = textAt(a, 'path') ?? textAt(a, 'key');
    return p === undefined ? undefined : re.exec(p)?.[1];
  };
}

/**
 * A path glob with one `{system}` segment as a regular expression whose first group is the system:
 * `**` any depth, `*` and `?` within one segment, everything else literal.
 */
export function patternRegex(pattern: string): RegExp {
  let out = '';
  for (let i = 0; i < pattern.length;) {
    if (pattern.startsWith('{system}', i)) {
      out += '([^/]+)';
      i += '{system}'.length;
    } else if (pattern.startsWith('**/', i)) {
      out += '(?:.*/)?';
      i += 3;
    } else if (pattern.startsWith('**', i)) {
      out += '.*';
      i += 2;
    } else {
      const c = pattern[i]!;
      out += c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      i++;
    }
  }
  return new RegExp(`^${out}$`, 'u');
}
