/**
 * 28x28 grey image sets (MNIST, Fashion-MNIST) as tensors, with a seeded,
 * deterministic, class-stratified train/test split.
 *
 * Conventions: `x` is float32 [n, 28, 28, 1] with pixels p/255 in [0, 1];
 * `y` is one-hot float32 [n, K] (or, with `labels: "sparse"`, the class
 * index as float32 [n, 1], for "sparseCategoricalCrossentropy"); `labels`
 * holds the class indices as plain numbers. The caller owns the tensors.
 *
 * Split rule: each class c with m_c images gives the test set round(S*m_c/M)
 * images and the train set round(T*m_c/M) (largest remainders fix the totals),
 * so both parts keep the source's class proportions; with `balanced: true`
 * every class gives the same count (up to one image when a size is not a
 * multiple of K). Within a class the images are a permutation
 * from `rng(seed)`: test takes its head, train the next images, so the test
 * set does not change when only the train size does. Rows are then shuffled
 * with the same generator (batches are not sorted by class).
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { rng, type Rng } from "../random/seed";
import { permutation } from "./split";

export interface ImageSetOptions {
  /** Training images. Default: 8,000. */
  train?: number;
  /** Test images, disjoint from the training ones. Default: 2,000. */
  test?: number;
  /** Seed of the split. Default 0: the same split in every notebook (not drawn from the global seed). */
  seed?: number;
  /** `y` as one-hot [n, K] (default) or class indices [n, 1]. */
  labels?: "oneHot" | "sparse";
  /** Same number of images from every class (default false: the source's class proportions). */
  balanced?: boolean;
}

export interface ImagePart {
  /** float32 [n, 28, 28, 1], values in [0, 1]. */
  x: tf.Tensor4D;
  /** one-hot float32 [n, K], or class indices float32 [n, 1] with `labels: "sparse"`. */
  y: tf.Tensor2D;
  /** Class index of each row. */
  labels: number[];
}

export interface ImageSet {
  train: ImagePart;
  test: ImagePart;
  /** Name of each class index. */
  classNames: string[];
  /** Where the images come from (for a notebook's data section). */
  source: string;
}

/** Raw pixels of a whole source: `pixels[i*784 .. (i+1)*784)` is image i, `labels[i]` its class. */
export interface RawImages {
  pixels: Uint8Array;
  labels: Uint8Array;
  height: number;
  width: number;
  classNames: string[];
  source: string;
}

/** A file shipped in reglab's data/ folder, found from this module upwards (works from src/ and dist/). */
export function shippedDataFile(...parts: string[]): string {
  let dir = __dirname;
  for (let i = 0; i < 6; i++) {
    const p = path.join(dir, "data", ...parts);
    if (fs.existsSync(p)) return p;
    dir = path.dirname(dir);
  }
  throw new Error(`data/${parts.join("/")} not found next to the reglab package; reinstall reglab.`);
}

function checkSize(fn: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`${fn}: ${name} must be an integer >= 0, got ${String(v)}`);
}

/**
 * Split `total` over classes in proportion to `counts` (or evenly when `even`) by largest
 * remainder, never giving class i more than caps[i] (the images it has left).
 */
function allocate(total: number, counts: number[], caps: number[], even: boolean, r: Rng): number[] {
  const k = counts.length;
  const m = counts.reduce((a, b) => a + b, 0);
  const exact = counts.map((c) => (even ? total / k : (total * c) / m));
  const out = exact.map((e, i) => Math.min(Math.floor(e), caps[i]));
  let left = total - out.reduce((a, b) => a + b, 0);
  // Ties broken by a seeded order so that no class is always the one rounded down.
  const order = permutation(k, r).sort((a, b) => exact[b] - out[b] - (exact[a] - out[a]));
  while (left > 0) {
    let gave = false;
    for (const i of order) {
      if (left === 0) break;
      if (out[i] >= caps[i]) continue;
      out[i]++;
      left--;
      gave = true;
    }
    if (!gave) throw new Error(`internal error: cannot place ${left} more images`);
  }
  return out;
}

/** The split of `raw` as the options ask (see the module comment for the rule). */
export function splitImages(fn: string, raw: RawImages, options: ImageSetOptions): ImageSet {
  const nTrain = options.train ?? 8000;
  const nTest = options.test ?? 2000;
  checkSize(fn, "train", nTrain);
  checkSize(fn, "test", nTest);
  if (options.labels !== undefined && options.labels !== "oneHot" && options.labels !== "sparse") {
    throw new RangeError(`${fn}: labels must be "oneHot" or "sparse", got ${String(options.labels)}`);
  }
  const k = raw.classNames.length;
  const byClass: number[][] = Array.from({ length: k }, () => []);
  raw.labels.forEach((c, i) => byClass[c].push(i));
  const counts = byClass.map((g) => g.length);
  const total = counts.reduce((a, b) => a + b, 0);
  const balanced = options.balanced ?? false;
  const max = balanced ? k * Math.min(...counts) : total;
  if (nTrain + nTest > max) {
    const rarest = raw.classNames[counts.indexOf(Math.min(...counts))];
    throw new RangeError(
      `${fn}: asked for ${nTrain + nTest} images (train ${nTrain} + test ${nTest}), but at most ${max} exist` +
        (balanced ? ` with balanced: true (${Math.min(...counts)} per class: the rarest class is "${rarest}")` : ` in ${raw.source}`) +
        `; ask for train + test <= ${max}.`,
    );
  }
  const r = rng(options.seed ?? 0);
  const testCounts = allocate(nTest, counts, counts, balanced, r);
  const trainCounts = allocate(
    nTrain,
    counts,
    counts.map((c, i) => c - testCounts[i]),
    balanced,
    r,
  );
  const testIdx: number[] = [];
  const trainIdx: number[] = [];
  byClass.forEach((g, c) => {
    const p = permutation(g.length, r).map((i) => g[i]);
    testIdx.push(...p.slice(0, testCounts[c]));
    trainIdx.push(...p.slice(testCounts[c], testCounts[c] + trainCounts[c]));
  });
  const shuffle = (idx: number[]) => permutation(idx.length, r).map((i) => idx[i]);
  const sparse = options.labels === "sparse";
  return {
    train: part(raw, shuffle(trainIdx), sparse),
    test: part(raw, shuffle(testIdx), sparse),
    classNames: raw.classNames.slice(),
    source: raw.source,
  };
}

function part(raw: RawImages, idx: number[], sparse: boolean): ImagePart {
  const size = raw.height * raw.width;
  const x = new Float32Array(idx.length * size);
  idx.forEach((src, row) => {
    const from = src * size;
    const to = row * size;
    for (let j = 0; j < size; j++) x[to + j] = raw.pixels[from + j] / 255;
  });
  const labels = idx.map((i) => raw.labels[i]);
  const k = raw.classNames.length;
  const y = sparse
    ? tf.tensor2d(labels, [labels.length, 1], "float32")
    : tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, "int32"), k), "float32") as tf.Tensor2D);
  return { x: tf.tensor4d(x, [idx.length, raw.height, raw.width, 1], "float32"), y, labels };
}
