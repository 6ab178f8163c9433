import { z } from 'zod';
import type { JsonValue } from '../../core/json';
import { codeUnitOrder } from '../../core/order';
import type { CollectOptions, CollectionStep } from '../types';

/**
 * What a previous run saw of each object (identity → fingerprint such as ETag or generation): the next
 * run skips what is unchanged, since earlier bundles already hold it. Shared by the object-store connectors.
 */
const seenStateSchema = z.object({ v: z.literal(1), seen: z.record(z.string(), z.string()) });

export class SeenObjects {
  private readonly previous: Record<string, string>;
  private readonly next: Record<string, string>;

  constructor(previousState: JsonValue | undefined) {
    const parsed = seenStateSchema.safeParse(previousState);
    this.previous = parsed.success ? parsed.data.seen : {};
    this.next = { ...this.previous };
  }

  /** Records the object as seen now; true when the previous run saw exactly this fingerprint. */
  unchanged(identity: string, fingerprint: string): boolean {
    this.next[identity] = fingerprint;
    return this.previous[identity] === fingerprint;
  }

  state(): JsonValue {
    return { v: 1, seen: this.next };
  }
}

/** One record an object-store connector may yield: its resume cursor, its identity and fingerprint for `SeenObjects`. */
export interface ObjectStep {
  cursor: string;
  identity: string;
  fingerprint: string;
  build: () => CollectionStep['artifact'];
}

/**
 * A scope's steps in cursor order (so the cursor resumes an interrupted run exactly), without those an
 * interrupted run already yielded and those the previous run saw unchanged (`onUnchanged` counts them).
 */
export function* newSteps(
  steps: ObjectStep[],
  seen: SeenObjects,
  options: Pick<CollectOptions, 'resumeAfter' | 'signal'>,
  onUnchanged: () => void,
): Generator<CollectionStep> {
  steps.sort((a, b) => codeUnitOrder(a.cursor, b.cursor));
  for (const step of steps) {
    options.signal?.throwIfAborted();
    // Recorded as seen even when skipped by the cursor: the state must describe everything listed.
    const unchanged = seen.unchanged(step.identity, step.fingerprint);
    if (options.resumeAfter !== undefined && step.cursor <= options.resumeAfter) continue;
    if (unchanged) {
      onUnchanged();
      continue;
    }
    yield { cursor: step.cursor, artifact: step.build() };
  }
}
