import { parseFrontMatter } from '../../core/front-matter';
import type { JsonValue } from '../../core/json';

/** What a model or dataset card (README.md) says, for the mapping rules. */
export interface CardFacts {
  frontMatter: Record<string, JsonValue>;
  frontMatterError?: string;
  license?: string;
  datasets: string[];
  metrics: string[];
  hasIntendedUse: boolean;
  hasLimitations: boolean;
}

/** The Hub's card template leaves this in sections nobody filled in: such a section documents nothing. */
const placeholder = /^\s*(\[more information needed\]|more information needed|todo|tbd|n\/a)?\s*$/i;
const intendedUseHeading = /^(intended uses?\b|uses$|direct use|intended use|how to use|use cases?)/i;
const limitationsHeading = /(limitations|bias, risks|risks and limitations|out-of-scope use|known issues)/i;

function strings(v: JsonValue | undefined): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/**
 * Markdown sections (heading → the text up to the next heading of the same or a higher level) whose heading
 * matches, with content other than the template's placeholder.
 */
function hasSection(body: string, heading: RegExp): boolean {
  const lines = body.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const m = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(lines[i]!);
    if (!m || !heading.test(m[2]!)) continue;
    const level = m[1]!.length;
    const content: string[] = [];
    for (let j = i + 1; j < lines.length; j++) {
      const h = /^(#{1,6})\s/.exec(lines[j]!);
      if (h && h[1]!.length <= level) break;
      if (!h) content.push(lines[j]!);
    }
    const text = content.join('\n').replace(/<!--[\s\S]*?-->/g, '');
    if (!placeholder.test(text)) return true;
  }
  return false;
}

/** Reads a card: front matter (license, datasets, metrics, model-index) and the intended-use and limitations sections. */
export function cardFacts(content: Buffer): CardFacts {
  const { frontMatter = {}, error } = parseFrontMatter(content);
  const text = content.toString('utf8');
  const body = text.replace(/^\uFEFF?---\r?\n[\s\S]*?\r?\n(?:---|\.\.\.)\s*(?:\r?\n|$)/, '');
  const fromIndex: string[] = [];
  for (const entry of Array.isArray(frontMatter['model-index']) ? frontMatter['model-index'] : []) {
    const results = (entry as { results?: JsonValue })?.results;
    for (const r of Array.isArray(results) ? results : []) {
      const metrics = (r as { metrics?: JsonValue })?.metrics;
      for (const m of Array.isArray(metrics) ? metrics : []) {
        const type = (m as { type?: JsonValue; name?: JsonValue })?.type ?? (m as { name?: JsonValue })?.name;
        if (typeof type === 'string') fromIndex.push(type);
      }
    }
  }
  const license = strings(frontMatter['license'])[0] ?? strings(frontMatter['license_name'])[0];
  return {
    frontMatter,
    ...(error ? { frontMatterError: error } : {}),
    ...(license ? { license } : {}),
    datasets: strings(frontMatter['datasets']),
    metrics: [...new Set([...strings(frontMatter['metrics']), ...fromIndex])].sort(),
    hasIntendedUse: strings(frontMatter['intended_use']).length > 0 || hasSection(body, intendedUseHeading),
    hasLimitations: strings(frontMatter['limitations']).length > 0 || hasSection(body, limitationsHeading),
  };
}
