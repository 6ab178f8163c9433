/**
 * What mapping files are checked against: the source types, the artifact kinds their connectors produce,
 * and which files of the shipped pack (mappings/default/) belong to which type. A typo in
 * `kind: documnet` is an error at load time instead of a control that is silently missing.
 *
 * mappings/ sits below connectors/ and does not know them: the caller builds the vocabulary from the
 * connector descriptors (`mappingVocabulary()` in connectors/index.ts) and passes it to `loadMappings`.
 */

/** The files a source type contributes to the shipped pack (`mappings: [default]` in evidence-hub.yaml). */
export interface DefaultMappings {
  /** File names in mappings/default/; the pack is read in file-name order across all types. */
  readonly files: readonly string[];
  /**
   * `configured`: only when a source of this type is configured, so an organisation without a SIEM is not
   * told that SIEM evidence is missing. `always`: the controls are required either way and stay visibly
   * `missing` until a source supplies them (policy documents; records only people can file).
   */
  readonly when: 'configured' | 'always';
}

/**
 * Kinds that are configuration snapshots (branch protection, CODEOWNERS, a SIEM continuity summary): each
 * describes the state of one subject *now*, so only the newest snapshot of each subject may decide a rule,
 * and a newest snapshot that fails the rule is an `exception` at once, whatever older snapshots said.
 * Kind → the attributes that name its subject besides the source (`[repository, branch]`; `[]`: the
 * source itself is the subject). Kinds not listed are events or records: every matching one counts.
 */
export type StateKinds = Readonly<Record<string, readonly string[]>>;

/** One source type as mapping files see it. */
export interface SourceVocabulary {
  readonly kinds: readonly string[];
  /** Which of `kinds` are configuration snapshots, and their subject attributes (absent: none are). */
  readonly stateKinds?: StateKinds;
  readonly defaultMappings: DefaultMappings;
}

/** Source type → its kinds and default pack files. */
export type MappingVocabulary = Readonly<Record<string, SourceVocabulary>>;
