/** One-hot float32 [n, k] from class indices (array, [n] or [n, 1] tensor). */
import * as tf from "@tensorflow/tfjs";

export function oneHot(labels: ArrayLike<number> | tf.Tensor, k?: number): tf.Tensor2D {
  return tf.tidy(() => {
    const idx = labels instanceof tf.Tensor ? tf.cast(tf.reshape(labels, [-1]), "int32") : tf.tensor1d(Array.from(labels), "int32");
    const depth = k ?? (idx.size ? (idx.max().dataSync()[0] as number) + 1 : 0);
    if (!Number.isInteger(depth) || depth < 1) throw new RangeError(`oneHot: number of classes must be a positive integer, got ${depth}`);
    return tf.cast(tf.oneHot(idx as tf.Tensor1D, depth), "float32") as tf.Tensor2D;
  });
}
