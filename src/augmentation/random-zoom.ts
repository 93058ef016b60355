/**
 * Zoom about the image centre c: out(p) = in((p - c) / s + c); s > 1 zooms
 * in (crops and enlarges), s < 1 zooms out (shrinks, the border takes the
 * fill value). Bilinear reads by default.
 */
import * as tf from "@tensorflow/tfjs";
import { checkNumber, drawRng, onImages, warpAboutCentre, type BatchTransform, type WarpOptions } from "./images";

/** Scale image i by factors[i] (> 0). */
export function zoomImages(x: tf.Tensor4D, factors: number[], options: WarpOptions = {}): tf.Tensor4D {
  const zoom = (s: number, cx: number, cy: number) => {
    if (!(s > 0)) throw new RangeError(`zoomImages: factors must be > 0, got ${s}`);
    return [1 / s, 0, cx - cx / s, 0, 1 / s, cy - cy / s, 0, 0];
  };
  return warpAboutCentre("zoomImages", x, factors, "factors", zoom, options);
}

export interface RandomZoomOptions extends WarpOptions {
  /** Factor range [lo, hi]; each image draws s uniformly from it (e.g. [0.9, 1.1]). */
  range: [number, number];
}

export function randomZoom(options: RandomZoomOptions): BatchTransform {
  const [lo, hi] = options.range ?? [];
  checkNumber("randomZoom", "range[0]", lo, Number.MIN_VALUE);
  checkNumber("randomZoom", "range[1]", hi, lo);
  return onImages("randomZoom", (x) => {
    const r = drawRng();
    return zoomImages(
      x,
      Array.from({ length: x.shape[0] }, () => lo + (hi - lo) * r.next()),
      options,
    );
  });
}
