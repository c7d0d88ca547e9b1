/** `device_category` → `device`, `partition_by` → `partition by`: an identifier in words. */
export function words(identifier: string): string {
  return identifier.replace(/_category$/, '').replace(/_/g, ' ');
}

export function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
