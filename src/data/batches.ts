/**
 * Seeded mini-batches for from-scratch loops: index lists of size
 * `batchSize` (the last may be smaller), in a permuted order when
 * `shuffle` (rng(seed) or the global stream after seed(n)).
 */
import * as tf from "@tensorflow/tfjs";
import { rng } from "../random/seed";
import { permutation, type XY } from "./split";

export function batchIndices(n: number, batchSize: number, options: { shuffle?: boolean; seed?: number } = {}): number[][] {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`batchIndices: n must be a positive integer, got ${n}`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new RangeError(`batchIndices: batchSize must be a positive integer, got ${batchSize}`);
  const order = options.shuffle === false ? Array.from({ length: n }, (_, i) => i) : permutation(n, rng(options.seed));
  const out: number[][] = [];
  for (let s = 0; s < n; s += batchSize) out.push(order.slice(s, s + batchSize));
  return out;
}

/** Yields {x, y} batches (new tensors: dispose each, or run the loop body in tf.tidy). */
export function* batches(data: XY, batchSize: number, options: { shuffle?: boolean; seed?: number } = {}): Generator<XY> {
  for (const idx of batchIndices(data.x.shape[0], batchSize, options)) {
    yield tf.tidy(() => {
      const i = tf.tensor1d(idx, "int32");
      return { x: tf.gather(data.x, i), y: tf.gather(data.y, i) };
    });
  }
}
