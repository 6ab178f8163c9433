import { z } from 'zod';
import type { JsonValue } from '../../core/json';

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
