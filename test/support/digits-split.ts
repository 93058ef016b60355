/**
 * The 8x8 digits scaled to [0, 1], one-hot labels, split by a seeded
 * permutation into parts of the given sizes (the rest is dropped). Used by
 * the regularizer effect tests; the caller disposes the tensors.
 */
import * as tf from "@tensorflow/tfjs";
import { loadDigits } from "../../src/data/digits";
import { rng } from "../../src/random/seed";

export interface Part {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
  labels: Int32Array;
}

export function digitsParts(seedValue: number, sizes: number[]): Part[] {
  const d = loadDigits({ scale: true, oneHot: true });
  const r = rng(seedValue);
  const p = Array.from({ length: d.n }, (_, i) => i);
  for (let i = p.length - 1; i > 0; i--) {
    const j = r.int(i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  if (sizes.reduce((a, b) => a + b, 0) > d.n) throw new Error(`digitsParts: sizes exceed ${d.n} rows`);
  let start = 0;
  const parts = sizes.map((s) => {
    const idx = p.slice(start, start + s);
    start += s;
    return tf.tidy(() => {
      const i = tf.tensor1d(idx, "int32");
      return {
        x: tf.gather(d.x, i) as tf.Tensor2D, y: tf.gather(d.y, i) as tf.Tensor2D, labels: Int32Array.from(idx.map((k) => d.labels[k]))
      };
    });
  });
  tf.dispose([d.x, d.y]);
  return parts;
}

export function disposeParts(parts: Part[]): void {
  for (const p of parts) tf.dispose([p.x, p.y]);
}

/** Accuracy of class-probability predictions against labels (argmax), computed in JS. */
export function accuracyOf(pred: tf.Tensor, labels: ArrayLike<number>): number {
  const k = pred.shape[1] as number;
  const v = pred.dataSync();
  let ok = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (v[i * k + j] > v[i * k + best]) best = j;
    if (best === labels[i]) ok++;
  }
  return ok / labels.length;
}
