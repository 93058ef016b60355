/** Order statistics for benchmark samples. */

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) throw new Error("percentile of no samples");
  const s = [...xs].sort((a, b) => a - b);
  // Linear interpolation between closest ranks (numpy's default).
  const pos = ((s.length - 1) * p) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export function median(xs: number[]): number {
  return percentile(xs, 50);
}
