/**
 * Mirror images: horizontally out(i, j) = in(i, w-1-j), vertically
 * out(i, j) = in(h-1-i, j), each image independently with probability p.
 * (Not for digits, whose mirror images are other symbols; fine for most
 * clothing and natural images.)
 */
import * as tf from "@tensorflow/tfjs";
import { checkNumber, drawRng, onImages, type BatchTransform } from "./images";

export interface RandomFlipOptions {
  /** Mirror left-right. Default true. */
  horizontal?: boolean;
  /** Mirror top-bottom. Default false. */
  vertical?: boolean;
  /** Chance that an image is flipped (per axis). Default 0.5. */
  probability?: number;
}

function maybe(x: tf.Tensor4D, axis: 1 | 2, p: number, r: () => number): tf.Tensor4D {
  const n = x.shape[0];
  const flip = tf.broadcastTo(
    tf.tensor4d(
      Array.from({ length: n }, () => r() < p),
      [n, 1, 1, 1],
      "bool",
    ),
    x.shape,
  );
  // A per-image select (not x + m (flip(x) - x), which rounds): pixels are copied exactly.
  return tf.where(flip, tf.reverse(x, axis), x) as tf.Tensor4D;
}

export function randomFlip(options: RandomFlipOptions = {}): BatchTransform {
  const p = checkNumber("randomFlip", "probability", options.probability ?? 0.5, 0, 1);
  const horizontal = options.horizontal ?? true;
  const vertical = options.vertical ?? false;
  return onImages("randomFlip", (x) => {
    const r = drawRng();
    let out = x;
    if (horizontal) out = maybe(out, 2, p, () => r.next());
    if (vertical) out = maybe(out, 1, p, () => r.next());
    return out;
  });
}
