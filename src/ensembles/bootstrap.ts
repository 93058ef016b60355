/**
 * Bootstrap resampling (Efron 1979; Deep Learning book 7.11, bagging).
 *
 * A bootstrap sample draws n indices uniformly WITH replacement from 0..n-1.
 * Example i is missed by all n draws with probability (1 - 1/n)^n -> 1/e, so
 * the sample holds a fraction 1 - (1 - 1/n)^n ~ 1 - 1/e ~ 0.632 of distinct
 * examples; the rest (~36.8%) is "out of bag" and can serve as a free
 * validation set for that member.
 */
import { rng as makeRng, type Rng } from "../random/seed";

export interface BootstrapSample {
  /** n indices drawn with replacement, in draw order. */
  indices: Int32Array;
  /** Indices that were never drawn (sorted). */
  outOfBag: Int32Array;
  /** Number of distinct indices drawn. */
  distinct: number;
  /** distinct / n (expected 1 - (1 - 1/n)^n ~ 0.632). */
  distinctFraction: number;
}

/**
 * Draw one bootstrap sample of size n (or `size`) from n examples.
 * Seeded by `seed`, or by the global stream (reproducible after `seed(n)`),
 * or by an explicit `rng`.
 *
 * @example const {indices, distinctFraction} = bootstrap(1000, {seed: 1})
 */
export function bootstrap(n: number, options: { seed?: number; rng?: Rng; size?: number } = {}): BootstrapSample {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`bootstrap: n must be a positive integer, got ${n}`);
  const size = options.size ?? n;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`bootstrap: size must be a positive integer, got ${size}`);
  const r = options.rng ?? makeRng(options.seed);
  const indices = new Int32Array(size);
  const seen = new Uint8Array(n);
  let distinct = 0;
  for (let i = 0; i < size; i++) {
    const j = r.int(n);
    indices[i] = j;
    if (!seen[j]) {
      seen[j] = 1;
      distinct++;
    }
  }
  const outOfBag = new Int32Array(n - distinct);
  for (let j = 0, o = 0; j < n; j++) if (!seen[j]) outOfBag[o++] = j;
  return { indices, outOfBag, distinct, distinctFraction: distinct / n };
}

/** The exact expected distinct fraction 1 - (1 - 1/n)^n of a size-n bootstrap sample. */
export function expectedDistinctFraction(n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`expectedDistinctFraction: n must be a positive integer, got ${n}`);
  return 1 - Math.pow(1 - 1 / n, n);
}
