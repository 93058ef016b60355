/**
 * Standardization fitted on the training set only (no test-set leakage):
 * z = (x - mean_train) / std_train, column-wise; columns constant on the
 * training set (std = 0, e.g. blank digit pixels) get std 1.
 */
import * as tf from "@tensorflow/tfjs";

export interface Standardizer {
  mean: tf.Tensor;
  std: tf.Tensor;
  /** Apply the training statistics to any tensor with the same columns. */
  apply(x: tf.Tensor): tf.Tensor;
  dispose(): void;
}

/** Fit on `train`; return the standardized train (and `others`) and the fitted standardizer. */
export function standardize<T extends tf.Tensor>(train: T, ...others: T[]): { train: T; others: T[]; scaler: Standardizer } {
  const { mean, variance } = tf.moments(train, 0);
  const std = tf.tidy(() => {
    const s = tf.sqrt(variance);
    return tf.where(tf.equal(s, 0), tf.onesLike(s), s);
  });
  variance.dispose();
  const scaler: Standardizer = {
    mean,
    std,
    apply: (x) => tf.tidy(() => tf.div(tf.sub(x, mean), std)),
    dispose: () => {
      mean.dispose();
      std.dispose();
    },
  };
  return { train: scaler.apply(train) as T, others: others.map((o) => scaler.apply(o) as T), scaler };
}
