/**
 * Seeded train/test split: a random permutation from `rng(seed)` (or the
 * global stream after seed(n)); the first round(n*testFraction) rows of it
 * go to the test set. With `stratify: labels` each class is split
 * separately, so class proportions are kept.
 */
import * as tf from "@tensorflow/tfjs";
import { rng, type Rng } from "../random/seed";

export interface XY {
  x: tf.Tensor;
  y: tf.Tensor;
}

export function permutation(n: number, r: Rng): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

export function trainTestSplit(
  data: XY,
  options: { testFraction?: number; seed?: number; stratify?: ArrayLike<number> } = {},
): { train: XY; test: XY; trainIndex: number[]; testIndex: number[] } {
  const n = data.x.shape[0];
  if (data.y.shape[0] !== n) throw new Error(`trainTestSplit: x has ${n} rows, y has ${data.y.shape[0]}`);
  const f = options.testFraction ?? 0.2;
  if (!(f > 0 && f < 1)) throw new RangeError(`trainTestSplit: testFraction must be in (0, 1), got ${f}`);
  const r = rng(options.seed);
  let testIndex: number[] = [];
  let trainIndex: number[] = [];
  if (options.stratify) {
    const groups = new Map<number, number[]>();
    for (let i = 0; i < n; i++) {
      const k = options.stratify[i];
      const g = groups.get(k) ?? [];
      g.push(i);
      groups.set(k, g);
    }
    for (const key of [...groups.keys()].sort((a, b) => a - b)) {
      const g = groups.get(key)!;
      const p = permutation(g.length, r).map((i) => g[i]);
      const k = Math.round(g.length * f);
      testIndex.push(...p.slice(0, k));
      trainIndex.push(...p.slice(k));
    }
    testIndex.sort((a, b) => a - b);
    trainIndex.sort((a, b) => a - b);
  } else {
    const p = permutation(n, r);
    const k = Math.round(n * f);
    testIndex = p.slice(0, k);
    trainIndex = p.slice(k);
  }
  if (!testIndex.length || !trainIndex.length)
    throw new RangeError(`trainTestSplit: ${n} rows with testFraction ${f} leaves an empty part`);
  const take = (idx: number[]): XY =>
    tf.tidy(() => {
      const i = tf.tensor1d(idx, "int32");
      return { x: tf.gather(data.x, i), y: tf.gather(data.y, i) };
    });
  return { train: take(trainIndex), test: take(testIndex), trainIndex, testIndex };
}
