const unitMs = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;

export const durationPattern = /^(\d{1,5})(h|d|w)$/;
export const durationHint = 'use a whole number followed by h, d or w, e.g. 24h, 90d or 2w';

/** `90d` → milliseconds; undefined when malformed. Months and years are not accepted: their length varies. */
export function parseDuration(text: string): number | undefined {
  const m = durationPattern.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * unitMs[m[2] as keyof typeof unitMs];
}

export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  if (abs >= unitMs.d) return `${Math.round(ms / unitMs.d)}d`;
  return `${Math.round(ms / unitMs.h)}h`;
}
