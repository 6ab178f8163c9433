/**
 * Why a rule or a control has its status, as data. The evaluator decides these; the English `reason`
 * sentence is written from them in one place (reasons.ts), and everything that needs a fact (the
 * failing source, the overdue changes) reads it here, never from the sentence. Plain JSON: causes
 * travel in index.json and through Temporal. Times are ISO strings, spans are milliseconds.
 */

/**
 * What a record's `observedAt` is, so no sentence says a bare "observed <date>" (docs/mappings.md, "Which
 * date"). A document's date comes from the document date logic (its `dateSource` attribute, documents.ts);
 * other records carry their connector's `observedAtFrom` attribute. The words for each kind are written
 * in reasons.ts only.
 *
 * - `effective`, `approved`, `reviewed`: a document's front matter (or a manual record's sidecar) date.
 * - `pdf-modified`, `pdf-created`: a PDF's metadata date.
 * - `published`: a release's publication date.
 * - `event`: when the recorded event happened (merged, resolved, updated, a run ended, the last log event).
 * - `snapshot`: when the hub read a configuration's current state (the server's response date).
 * - `committed`: the last commit that touched a file in a repository.
 * - `file-time`: a file's modification time (set by whoever last copied it).
 * - `unknown`: the connector does not say.
 */
export const dateKinds = [
  'effective',
  'approved',
  'reviewed',
  'pdf-modified',
  'pdf-created',
  'published',
  'event',
  'snapshot',
  'committed',
  'file-time',
  'unknown',
] as const;
export type DateKind = (typeof dateKinds)[number];

/** Which Statement of Applicability excluded a control: its version and who approved it when (each if stated). */
export interface SoaApproval {
  version?: string;
  approvedBy?: string;
  /** ISO date. */
  approvedOn?: string;
}

/** The record(s) a max-age rule is judged by: the newest one, or the minCount-th newest. */
export interface DecidingRecord {
  /** The artifact id of the minCount-th newest record (the newest with minCount 1). */
  id: string;
  observedAt: string;
  /** The rule's minCount: how many of the newest records must be current. */
  count: number;
  /** What `observedAt` is (effective, approved, reviewed, published, event time, file time ...): date-kind.ts. */
  dateKind: DateKind;
}

/** A max age (or a warning window) as the mapping file wrote it, and in milliseconds. */
export interface MaxAge {
  ms: number;
  text: string;
}

/** One attribute test of a selector that the record fails (select.ts `explainMismatch`). */
export interface PredicateMismatch {
  /** Dotted attribute path, e.g. `maxGapHours` or `frontMatter.owner`. */
  path: string;
  /** The record's value as JSON text (long values cut); absent when the record lacks the attribute. */
  actual?: string;
  op: 'eq' | 'ne' | 'in' | 'glob' | 'regex' | 'gt' | 'gte' | 'lt' | 'lte' | 'exists';
  /** The bound as the mapping file wrote it. */
  expected: string | number | boolean | (string | number | boolean)[];
}

/** Why a record fails a selector's `where`: the failing tests, an `any` none of whose branches holds, a `not` that holds. */
export type Mismatch =
  PredicateMismatch | { op: 'none-of'; alternatives: Mismatch[][] } | { op: 'excluded'; where: string };

/** The newest record in one selector's scope, and why it does not match. */
export interface ScopeMismatch {
  /** The selector's scope in words: "github branch-protection", "siem (source soc)". */
  scope: string;
  /** `dateKind`: what its date is (absent in causes stored by builds before it was recorded). */
  record: { id: string; observedAt: string; dateKind?: DateKind };
  mismatches: Mismatch[];
}

/** What the evidence alone says about a rule, before any collection failure is taken into account. */
export type EvidenceCause =
  // Max-age rules.
  | {
      /** No record matches and the rule expects a manual upload. */
      kind: 'needs-upload';
      rule: string;
      description?: string;
      /** `evidence-hub upload --topic` values that satisfy the rule. */
      uploadTopics: string[];
    }
  /** Nothing at all was collected in the scopes of the rule's selectors (known at the evaluation time). */
  | { kind: 'nothing-collected'; rule: string; description?: string; scopes: string[] }
  /**
   * Records were collected in the rule's scopes, but none matches: per scope that has records, the newest
   * one and the tests it fails, with its actual values.
   */
  | { kind: 'no-match'; rule: string; description?: string; checked: ScopeMismatch[] }
  | { kind: 'too-few'; found: number; required: number }
  /**
   * A configuration snapshot kind (latest per subject): the newest snapshot of these subjects fails the
   * rule. An exception at once, whatever older snapshots said (`scope` names the subject).
   */
  | { kind: 'state-exception'; rule: string; description?: string; subjects: ScopeMismatch[] }
  /** Inside max age and not yet inside the warning window: `currentUntil` is the end of the max age. */
  | { kind: 'current'; deciding: DecidingRecord; maxAge: MaxAge; currentUntil: string }
  /**
   * Inside max age, but the max age ends within the warning window (`warnBefore`): a new record is due
   * at `currentUntil`; the evidence goes stale at `staleAt` (the DUE date, grace included).
   */
  | {
      kind: 'due-soon';
      deciding: DecidingRecord;
      maxAge: MaxAge;
      warnBefore: MaxAge;
      currentUntil: string;
      staleAt: string;
    }
  /** Past its max age, inside the grace period: overdue (grace), stale at `graceEndsAt`. */
  | { kind: 'in-grace'; deciding: DecidingRecord; maxAge: MaxAge; graceEndsAt: string }
  | { kind: 'too-old'; deciding: DecidingRecord; maxAge: MaxAge; ageMs: number }
  /**
   * The deciding record names another version than the current one of what it refers to (an
   * acknowledgement of AI policy 2025.1 while 2026.1 is in force). `version` is absent when the record
   * names none.
   */
  | {
      kind: 'version-mismatch';
      record: { id: string; observedAt: string; version?: string };
      current: { rule: string; id: string; version: string };
    }
  /**
   * The newest matching document has no effective, approval or review date (front matter or PDF
   * metadata): only its file time, which a copy or a git clone sets. It is not taken as current.
   */
  | { kind: 'undated'; record: { id: string; observedAt: string; dateKind: DateKind }; maxAge: MaxAge }
  /**
   * The rule asks for operating evidence (records that the control ran) and has none, while a design
   * rule of the same control is current: the control is designed, not shown to operate.
   */
  | {
      kind: 'design-only';
      designRule: string;
      design: { id: string; observedAt: string; dateKind: DateKind };
      operatingRule: string;
      operating: EvidenceCause;
    }
  /** No source of the rule's type is configured (none ever ran and nothing was collected there). */
  | { kind: 'not-configured'; rule: string; description?: string; sourceTypes: string[] }
  // Per-change rules: `requirement` is the rule's freshness text, `windowMs` how far back changes count.
  /** No change in the window: nothing was owed, and nothing shows the control operating (`not-exercised`). */
  | { kind: 'no-changes'; windowMs: number; requirement: string }
  | { kind: 'changes-recorded'; changes: number; windowMs: number; requirement: string }
  /** Every change lacking a record is still inside its grace period (keys sorted). */
  | { kind: 'changes-in-grace'; inGrace: string[] }
  /** Some changes are past their grace period without a record (keys sorted; `inGrace` may be empty). */
  | { kind: 'changes-overdue'; changes: number; overdue: string[]; inGrace: string[] }
  /**
   * `per: aiSystem`: every AI system of the inventory in scope needs its own current evidence. `systems`
   * holds each system's verdict (sorted by id), `unknown` the records that name a system the inventory
   * does not know (a warning: they count for no system), `unnamed` how many matching records name none.
   */
  | {
      kind: 'per-system';
      requirement: string;
      systems: SystemVerdict[];
      unknown: UnknownSystemName[];
      unnamed: number;
    };

/** One AI system's state under a per-system rule. */
export type SystemVerdict =
  | {
      system: string;
      status: 'current' | 'due-soon' | 'overdue' | 'stale' | 'unverified';
      /** The record that decides the system (its newest, or the minCount-th newest). */
      record: { id: string; observedAt: string; dateKind: DateKind };
      /** The record's age at the evaluation time. */
      ageMs: number;
      /** When this system's evidence goes (went) stale. */
      dueAt?: string;
    }
  /** A new system without evidence yet, inside the inventory's grace period. */
  | { system: string; status: 'in-grace'; graceEndsAt: string }
  | { system: string; status: 'missing' }
  /** Retired in the inventory on `retiredOn`: owes no evidence from then on. */
  | { system: string; status: 'retired'; retiredOn: string };

/** A record naming an AI system the inventory does not know, with the closest known id. */
export interface UnknownSystemName {
  system: string;
  record: string;
  didYouMean?: string;
}

/** What a collection failure means for a rule's evidence. */
export type FailureConsequence =
  /** The evidence is current, due soon or overdue (grace) and goes stale at `at`, `inMs` after the evaluation. */
  | { kind: 'goes-stale'; at: string; inMs: number }
  /** The evidence is current or not exercised and nothing makes it go stale (a per-change rule with no open change). */
  | { kind: 'no-due-date' }
  | { kind: 'already'; status: 'stale' | 'missing' | 'unverified' | 'not-configured' | 'exception' };

/** One source whose last run failed or collected with problems. */
export interface FailedSource {
  source: string;
  sourceType: string;
  outcome: 'failed' | 'partial';
  /** When the run ended. */
  at: string;
  error?: string;
  /** The error class of a failed run (core/errors.ts names: CredentialsError, RateLimitError ...), when recorded. */
  errorType?: string;
}

/**
 * The last run of a source that feeds the rule failed, or collected with problems. It wins over what
 * the evidence says (`evidence`), because that evidence may no longer be current. `source` and the
 * fields next to it describe the first failing source by id; `sources` lists every one.
 */
export interface CollectionFailedCause {
  kind: 'collection-failed';
  /** Every failing source that matters to the rule, sorted by id (the first is the one named below). */
  sources: FailedSource[];
  source: string;
  sourceType: string;
  outcome: 'failed' | 'partial';
  /** When the run ended. */
  at: string;
  /** The error or problems the run reported; absent when it reported none. */
  error?: string;
  /** The first failing source's error class, when recorded (FailedSource.errorType). */
  errorType?: string;
  consequence: FailureConsequence;
  evidence: EvidenceCause;
}

/**
 * The rule's own evidence decides, but a source that supplied some of it collected with problems in its last
 * run (one export file of many was unreadable): the good files' evidence counts, current or stale as it is,
 * and the problem is named. `collection-failed` is kept for sources that yielded nothing usable for the rule.
 */
export interface SourceProblemsCause {
  kind: 'source-problems';
  /** The partial runs among the rule's suppliers, sorted by source id. */
  sources: FailedSource[];
  evidence: EvidenceCause;
}

/** Why a rule has its status. */
export type RuleCause = EvidenceCause | CollectionFailedCause | SourceProblemsCause;

/** Why a control has its status. */
export type ControlCause =
  /** Excluded in the Statement of Applicability; `soa` is the SoA's version and approval, as far as it says. */
  | { kind: 'not-applicable'; justification: string; soa: SoaApproval }
  /** No mapping rule covers the control. */
  | { kind: 'unmapped' }
  /**
   * The cause of the control's most urgent rule. `rules` is how many rules the control has: with
   * several, the sentence names the deciding one.
   */
  | { kind: 'rule'; rule: string; rules: number; cause: RuleCause };

/** The rule cause behind a control's status, if a rule decided it. */
export function decidingRuleCause(cause: ControlCause): RuleCause | undefined {
  return cause.kind === 'rule' ? cause.cause : undefined;
}
