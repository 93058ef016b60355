/**
 * What every augmentation shares: the batch check, per-image random draws
 * from the global seed, and the projective warp they are built on.
 *
 * Conventions: images are float32 [n, h, w, c]; pixel (row i, column j) has
 * coordinates (x, y) = (j, i), the centre is ((w-1)/2, (h-1)/2). A warp with
 * matrix [a0 a1 a2 b0 b1 b2 c0 c1] (tf.image.transform's) maps OUTPUT point
 * (x, y) to the INPUT point ((a0 x + a1 y + a2)/k, (b0 x + b1 y + b2)/k),
 * k = c0 x + c1 y + 1; points outside the input take the fill value.
 * Randomness: one `rng()` per call, seeded from `Math.random`, so after
 * `seed(n)` the same sequence of batches gets the same transforms.
 */
import * as tf from "@tensorflow/tfjs";
import { rng, type Rng } from "../random/seed";
import type { BatchTransform, TrainBatch } from "../training/types";

export type { BatchTransform, TrainBatch };

/** Throw a clear error unless x is a float32 batch of images [n, h, w, c]. */
export function checkImages(fn: string, x: tf.Tensor): tf.Tensor4D {
  if (!(x instanceof tf.Tensor)) throw new TypeError(`${fn}: expected a tensor of images [n, h, w, c], got ${typeof x}`);
  if (x.rank !== 4) {
    throw new Error(
      `${fn}: expected a batch of images [n, h, w, c] (rank 4), got shape [${x.shape}]` +
        (x.rank === 3 ? "; add the batch axis with x.expandDims(0)" : x.rank === 2 ? "; reshape flat rows to [n, h, w, 1]" : ""),
    );
  }
  if (x.dtype !== "float32") throw new Error(`${fn}: expected float32 images, got ${x.dtype}; cast with tf.cast(x, "float32")`);
  return x as tf.Tensor4D;
}

export function checkNumber(fn: string, name: string, v: unknown, min: number, max = Infinity): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min || v > max) {
    throw new RangeError(`${fn}: ${name} must be a number in [${min}, ${max === Infinity ? "inf" : max}], got ${String(v)}`);
  }
  return v;
}

/** A generator for one call of a transform (reproducible after seed(n)). */
export function drawRng(): Rng {
  return rng();
}

/** Wrap an x-only function as a batch transform; labels pass through untouched. */
export function onImages(fn: string, f: (x: tf.Tensor4D) => tf.Tensor4D): BatchTransform {
  return (batch: TrainBatch): TrainBatch => {
    if (!batch || !(batch.x instanceof tf.Tensor)) {
      throw new TypeError(`${fn}: expected a batch {x, y} with x a tensor of images [n, h, w, c]`);
    }
    const x = checkImages(fn, batch.x);
    return { x: tf.tidy(() => f(x)), y: batch.y };
  };
}

export type Interpolation = "nearest" | "bilinear";
export type FillMode = "constant" | "reflect" | "wrap" | "nearest";

export interface WarpOptions {
  /** How points between pixels are read. */
  interpolation?: Interpolation;
  /** What points outside the image read: a constant `fillValue` (default 0), or reflect / wrap / nearest edge. */
  fillMode?: FillMode;
  fillValue?: number;
}

/**
 * Warp each image i by its matrix (rows of `matrices`, [n, 8]) with the Transform kernel.
 * tfjs-backend-cpu 4.22's Transform returns after the first image (the rest
 * stay 0), so on cpu the batch goes one image at a time.
 */
export function warp(x: tf.Tensor4D, matrices: number[][], options: WarpOptions, defaultInterpolation: Interpolation): tf.Tensor4D {
  const interpolation = options.interpolation ?? defaultInterpolation;
  const fillMode = options.fillMode ?? "constant";
  const fillValue = options.fillValue ?? 0;
  return tf.tidy(() => {
    const m = tf.tensor2d(matrices, [matrices.length, 8], "float32");
    if (tf.getBackend() !== "cpu" || x.shape[0] <= 1) return tf.image.transform(x, m, interpolation, fillMode, fillValue);
    const one = (i: number) =>
      tf.image.transform(tf.slice(x, [i, 0, 0, 0], [1, -1, -1, -1]), tf.slice(m, [i, 0], [1, 8]), interpolation, fillMode, fillValue);
    return tf.concat(
      Array.from({ length: x.shape[0] }, (_, i) => one(i)),
      0,
    ) as tf.Tensor4D;
  });
}

/**
 * Warp image i about the image centre (cx, cy) = ((w - 1) / 2, (h - 1) / 2) by the matrix `matrix(params[i], cx, cy)`
 * gives, bilinear by default; `params` holds one value per image (`what` names them in the error).
 */
export function warpAboutCentre(
  fn: string,
  x: tf.Tensor4D,
  params: number[],
  what: string,
  matrix: (p: number, cx: number, cy: number) => number[],
  options: WarpOptions,
): tf.Tensor4D {
  checkImages(fn, x);
  const [n, h, w] = x.shape;
  if (params.length !== n) throw new Error(`${fn}: need ${n} ${what} (one per image), got ${params.length}`);
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  return warp(
    x,
    params.map((p) => matrix(p, cx, cy)),
    options,
    "bilinear",
  );
}
