import type { FileProblem, YamlSource } from '../core/yaml-source';
import type { RawRule } from './schema';

/**
 * `per: aiSystem` and `systemFrom` go together, and only on max-age rules: a per-change rule already
 * owes one record per change, and a state rule judges each configuration subject.
 */
export function checkPerSystem(
  src: YamlSource,
  raw: RawRule,
  at: (...p: PropertyKey[]) => PropertyKey[],
  problems: FileProblem[],
): void {
  if (raw.per === undefined && raw.systemFrom === undefined) return;
  if (raw.per === undefined) {
    problems.push(
      src.problem(
        at('systemFrom'),
        'systemFrom without per: aiSystem',
        'add `per: aiSystem` to judge each AI system, or remove systemFrom',
      ),
    );
    return;
  }
  if (raw.systemFrom === undefined) {
    problems.push(
      src.problem(
        at('per'),
        'per: aiSystem needs systemFrom: how a record names its AI system',
        'e.g. systemFrom: { attribute: frontMatter.system }, { tag: ai_system } or { pathPattern: "assessments/{system}/**" }',
      ),
    );
  }
  if (typeof raw.freshness === 'object' && 'perChange' in raw.freshness) {
    problems.push(
      src.problem(
        at('per'),
        'per: aiSystem applies to max-age rules only',
        'use freshness: 365d (or { maxAge, grace }) with per: aiSystem; a per-change rule already owes a record per change',
      ),
    );
  }
}
