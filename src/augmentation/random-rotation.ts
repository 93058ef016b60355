/**
 * Rotation about the image centre c: out(p) = in(R(-theta) (p - c) + c),
 * theta in degrees, counter-clockwise on screen for theta > 0 (as Keras'
 * RandomRotation; rows grow downwards, so in (x, y) = (column, row)
 * coordinates the input point is x' = cos t (x-cx) - sin t (y-cy) + cx,
 * y' = sin t (x-cx) + cos t (y-cy) + cy). Bilinear reads by default; outside
 * points take the fill value.
 */
import * as tf from "@tensorflow/tfjs";
import { checkNumber, drawRng, onImages, warpAboutCentre, type BatchTransform, type WarpOptions } from "./images";

/** Rotate image i by degrees[i]. */
export function rotateImages(x: tf.Tensor4D, degrees: number[], options: WarpOptions = {}): tf.Tensor4D {
  const rotation = (deg: number, cx: number, cy: number) => {
    const t = (deg * Math.PI) / 180;
    const cos = Math.cos(t);
    const sin = Math.sin(t);
    return [cos, -sin, cx - cos * cx + sin * cy, sin, cos, cy - sin * cx - cos * cy, 0, 0];
  };
  return warpAboutCentre("rotateImages", x, degrees, "angles", rotation, options);
}

export interface RandomRotationOptions extends WarpOptions {
  /** Largest angle in degrees; each image draws uniformly in [-maxDegrees, maxDegrees]. */
  maxDegrees: number;
}

export function randomRotation(options: RandomRotationOptions): BatchTransform {
  const m = checkNumber("randomRotation", "maxDegrees", options.maxDegrees, 0, 180);
  return onImages("randomRotation", (x) => {
    const r = drawRng();
    return rotateImages(
      x,
      Array.from({ length: x.shape[0] }, () => (2 * r.next() - 1) * m),
      options,
    );
  });
}
