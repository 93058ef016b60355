/**
 * Additive Gaussian noise on the inputs (book sec. 7.5):
 * out = x + e, e ~ N(0, std^2) per pixel, optionally clipped to [lo, hi].
 */
import * as tf from "@tensorflow/tfjs";
import { checkNumber, drawRng, onImages, type BatchTransform } from "./images";

export interface RandomNoiseOptions {
  std: number;
  /** Clip the result, e.g. [0, 1] for pixel intensities. Default: no clipping. */
  clip?: [number, number];
}

export function randomNoise(options: RandomNoiseOptions): BatchTransform {
  const std = checkNumber("randomNoise", "std", options.std, 0);
  const clip = options.clip;
  if (clip) checkNumber("randomNoise", "clip[1]", clip[1], checkNumber("randomNoise", "clip[0]", clip[0], -Infinity));
  return onImages("randomNoise", (x) => {
    const noisy = tf.add(x, tf.randomNormal(x.shape, 0, std, "float32", drawRng().seed()));
    return (clip ? tf.clipByValue(noisy, clip[0], clip[1]) : noisy) as tf.Tensor4D;
  });
}
