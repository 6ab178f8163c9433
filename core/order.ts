/**
 * Code-unit order for strings: the order of `<` and `<=`, which resume cursors compare with, and the
 * same on every machine (localeCompare depends on the locale and would differ).
 */
export function codeUnitOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
