/**
 * Cutout (DeVries & Taylor 2017): set a size x size square to `fillValue`
 * (0 by default) in every channel, centred on a uniformly drawn pixel
 * (cy, cx): out(i, j) = fill if |i - cy| and |j - cx| both fall in
 * [-floor(size/2), size - floor(size/2)), else in(i, j). The square may
 * extend past the border (then less is hidden), as in the paper.
 */
import * as tf from "@tensorflow/tfjs";
import { checkNumber, drawRng, onImages, type BatchTransform } from "./images";

export interface CutoutOptions {
  /** Side of the square in pixels. */
  size: number;
  /** Chance that an image gets a square. Default 1. */
  probability?: number;
  fillValue?: number;
}

export function cutout(options: CutoutOptions): BatchTransform {
  const size = checkNumber("cutout", "size", options.size, 0);
  if (!Number.isInteger(size)) throw new RangeError(`cutout: size must be whole pixels, got ${size}`);
  const p = checkNumber("cutout", "probability", options.probability ?? 1, 0, 1);
  const fill = options.fillValue ?? 0;
  return onImages("cutout", (x) => {
    const [n, h, w] = x.shape;
    const r = drawRng();
    const top: number[] = [];
    const left: number[] = [];
    for (let i = 0; i < n; i++) {
      const on = r.next() < p;
      const cy = r.int(h);
      const cx = r.int(w);
      // An image without a square gets an empty range.
      top.push(on ? cy - Math.floor(size / 2) : h);
      left.push(on ? cx - Math.floor(size / 2) : w);
    }
    const rows = tf.reshape(tf.range(0, h), [1, h, 1, 1]);
    const cols = tf.reshape(tf.range(0, w), [1, 1, w, 1]);
    const t = tf.tensor4d(top, [n, 1, 1, 1]);
    const l = tf.tensor4d(left, [n, 1, 1, 1]);
    const inRows = tf.logicalAnd(tf.greaterEqual(rows, t), tf.less(rows, tf.add(t, size)));
    const inCols = tf.logicalAnd(tf.greaterEqual(cols, l), tf.less(cols, tf.add(l, size)));
    const hole = tf.cast(tf.logicalAnd(inRows, inCols), "float32"); // [n, h, w, 1]
    return tf.add(tf.mul(x, tf.sub(1, hole)), tf.mul(hole, fill)) as tf.Tensor4D;
  });
}
