/**
 * Shared shapes of reglab data sets.
 *
 * Conventions: `x` is float32 [n, d]; `y` is float32 [n, 1] (class index
 * for classification, target for regression) unless a generator says
 * otherwise. The same values are also returned as plain arrays (`points`,
 * `labels`) for charts and tables. The caller owns (and disposes) the
 * tensors.
 */
import * as tf from "@tensorflow/tfjs";
import { rng, type Rng } from "../random/seed";

export interface LabeledData {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
  /** Rows of x as plain arrays. */
  points: number[][];
  /** y as plain numbers (class index or target). */
  labels: number[];
}

/** Options common to the generators. */
export interface GeneratorOptions {
  /** Number of examples. */
  n?: number;
  /** Standard deviation of the Gaussian noise added (see each generator). */
  noise?: number;
  /** Fixed seed; default: drawn from the global stream, reproducible after seed(n). */
  seed?: number;
}

export function makeRng(seedValue: number | undefined): Rng {
  return rng(seedValue);
}

export function checkCount(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} must be a positive integer, got ${String(n)}`);
}

export function checkNoise(noise: number): void {
  if (typeof noise !== "number" || !Number.isFinite(noise) || noise < 0)
    throw new RangeError(`noise must be a finite number >= 0, got ${String(noise)}`);
}

/**
 * A generator's count options and its noise, each defaulted and then checked: the counts in the order of
 * `counts` (`checkCount`, named "<generator>: <option>"), then the noise (`checkNoise`).
 */
export function checkedOptions<K extends string, O extends { [P in K]?: number } & { noise?: number }>(
  generator: string,
  options: O,
  counts: Record<K, number>,
  noise: number,
): Record<K, number> & { noise: number } {
  const out: Record<string, number> = {};
  for (const key of Object.keys(counts) as K[]) {
    const n: number = options[key] ?? counts[key];
    checkCount(`${generator}: ${key}`, n);
    out[key] = n;
  }
  out.noise = options.noise ?? noise;
  checkNoise(out.noise);
  return out as Record<K, number> & { noise: number };
}

/**
 * n labelled 2-D points: `clean(i)` gives example i's point and label (drawing from `r` if it needs to), then
 * N(0, noise^2) is added to its first coordinate and then to its second.
 */
export function noisyPoints(n: number, noise: number, r: Rng, clean: (i: number) => [number, number, number]): LabeledData {
  const points: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const [a, b, label] = clean(i);
    points.push([a + r.normal(0, noise), b + r.normal(0, noise)]);
    labels.push(label);
  }
  return labeled(points, labels);
}

/** Tensors from plain rows and labels. */
export function labeled(points: number[][], labels: number[]): LabeledData {
  const d = points.length ? points[0].length : 0;
  return {
    x: tf.tensor2d(points.flat(), [points.length, d], "float32"),
    y: tf.tensor2d(labels, [labels.length, 1], "float32"),
    points,
    labels,
  };
}
