/** Apply batch transforms in order: compose([f, g])(b) = g(f(b)). */
import type { BatchTransform, TrainBatch } from "./images";
import * as tf from "@tensorflow/tfjs";

export function compose(transforms: BatchTransform[]): BatchTransform {
  if (!Array.isArray(transforms) || transforms.some((t) => typeof t !== "function")) {
    throw new TypeError("compose: expected an array of batch transforms ({x, y}) => {x, y}");
  }
  return (batch: TrainBatch): TrainBatch =>
    // Intermediate batches are freed; only the last one is returned.
    tf.tidy(() => {
      const out = transforms.reduce((b, t) => t(b), batch);
      return { x: out.x, y: out.y };
    });
}
