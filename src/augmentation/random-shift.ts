/**
 * Translation (book sec. 7.4): out(i, j) = in(i - dy, j - dx), pixels
 * brought in from outside the image take the fill value (0 by default).
 * Whole-pixel shifts with nearest-neighbour reads copy values exactly.
 */
import * as tf from "@tensorflow/tfjs";
import { checkImages, checkNumber, drawRng, onImages, warp, type BatchTransform, type WarpOptions } from "./images";

/** Shift image i by (dy[i], dx[i]) pixels (down and right positive). */
export function shiftImages(x: tf.Tensor4D, dy: number[], dx: number[], options: WarpOptions = {}): tf.Tensor4D {
  checkImages("shiftImages", x);
  const n = x.shape[0];
  if (dy.length !== n || dx.length !== n) {
    throw new Error(`shiftImages: need ${n} shifts (one per image), got dy ${dy.length}, dx ${dx.length}`);
  }
  return warp(
    x,
    dy.map((sy, i) => [1, 0, -dx[i], 0, 1, -sy, 0, 0]),
    options,
    "nearest",
  );
}

export interface RandomShiftOptions extends WarpOptions {
  /** Largest shift in pixels, per axis [rows, columns] or both; each image draws integers uniformly in [-max, max]. */
  maxShift: number | [number, number];
}

/** A batch transform shifting each image by its own random whole-pixel offset. */
export function randomShift(options: RandomShiftOptions): BatchTransform {
  const [my, mx] = Array.isArray(options.maxShift) ? options.maxShift : [options.maxShift, options.maxShift];
  for (const m of [my, mx]) {
    if (!Number.isInteger(checkNumber("randomShift", "maxShift", m, 0))) {
      throw new RangeError(`randomShift: maxShift must be whole pixels, got ${m}`);
    }
  }
  return onImages("randomShift", (x) => {
    const r = drawRng();
    const n = x.shape[0];
    const dy = Array.from({ length: n }, () => r.int(2 * my + 1) - my);
    const dx = Array.from({ length: n }, () => r.int(2 * mx + 1) - mx);
    return shiftImages(x, dy, dx, options);
  });
}
