/** The q-quantile (0 ≤ q ≤ 1) of `xs` by linear interpolation between order statistics; NaN when empty. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export const median = (xs: readonly number[]): number => quantile(xs, 0.5);

/** |estimate − truth| / |truth|; undefined when the truth is 0 or unknown. */
export function relativeError(estimate: number, truth: number | undefined): number | undefined {
  if (truth === undefined || truth === 0 || !Number.isFinite(truth)) return undefined;
  return Math.abs(estimate - truth) / Math.abs(truth);
}

/** A fraction as a percentage for people: one decimal, or two significant digits below 1%. */
export function percent(x: number | null): string {
  if (x === null) return '—';
  const p = x * 100;
  return p !== 0 && Math.abs(p) < 1 ? `${p.toPrecision(2)}%` : `${p.toFixed(1)}%`;
}
