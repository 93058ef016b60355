/**
 * Loss and metric functions for `train`, by name or as functions.
 *
 * Every loss returns the MEAN over the batch (a scalar). The named losses are
 * exactly the ones tfjs `model.fit` uses (tfjs-layers `losses.ts`: predictions
 * clipped to [1e-7, 1 - 1e-7] for cross-entropies, which expect probabilities,
 * not logits), so `train` and `fit` give the same numbers.
 */
import * as tf from "@tensorflow/tfjs";

export type LossFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;
export type LossName =
  | "mse"
  | "meanSquaredError"
  | "mae"
  | "meanAbsoluteError"
  | "binaryCrossentropy"
  | "categoricalCrossentropy"
  | "sparseCategoricalCrossentropy";
export type LossSpec = LossName | LossFn;

export type MetricFn = (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar;
export type MetricName = "accuracy" | "acc" | "mse" | "mae" | "binaryCrossentropy" | "categoricalCrossentropy";
export type MetricSpec = MetricName | { name: string; fn: MetricFn };

const mean =
  (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor): LossFn =>
  (a, b) =>
    tf.mean(f(a, b)) as tf.Scalar;

function sparseCCE(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Scalar {
  // Labels may come as [n] or [n, 1]; tfjs wants int indices.
  const k = yPred.shape[yPred.shape.length - 1];
  const labels = tf.cast(tf.reshape(yTrue, [-1]), "int32");
  return tf.mean(tf.metrics.categoricalCrossentropy(tf.oneHot(labels, k), yPred)) as tf.Scalar;
}

const LOSSES: Record<LossName, LossFn> = {
  mse: mean(tf.metrics.meanSquaredError),
  meanSquaredError: mean(tf.metrics.meanSquaredError),
  mae: mean(tf.metrics.meanAbsoluteError),
  meanAbsoluteError: mean(tf.metrics.meanAbsoluteError),
  binaryCrossentropy: mean(tf.metrics.binaryCrossentropy),
  categoricalCrossentropy: mean(tf.metrics.categoricalCrossentropy),
  sparseCategoricalCrossentropy: sparseCCE,
};

/** A loss function from a name or a function. */
export function resolveLoss(spec: LossSpec): LossFn {
  if (typeof spec === "function") return spec;
  const fn = LOSSES[spec];
  if (!fn) {
    throw new Error(
      `Unknown loss "${String(spec)}". Use one of: ${Object.keys(LOSSES).join(", ")}, or a function (yTrue, yPred) => tf.Scalar.`,
    );
  }
  return fn;
}

function accuracyFor(loss: LossSpec): MetricFn {
  if (loss === "sparseCategoricalCrossentropy") {
    return (yTrue, yPred) =>
      tf.mean(tf.cast(tf.equal(tf.cast(tf.reshape(yTrue, [-1]), "int32"), tf.argMax(yPred, -1)), "float32")) as tf.Scalar;
  }
  if (loss === "categoricalCrossentropy") {
    return (yTrue, yPred) => tf.mean(tf.metrics.categoricalAccuracy(yTrue, yPred)) as tf.Scalar;
  }
  // Binary (or unknown): one output unit -> threshold 0.5, several -> argmax.
  return (yTrue, yPred) =>
    yPred.shape[yPred.shape.length - 1] === 1 || yPred.rank === 1
      ? (tf.mean(tf.metrics.binaryAccuracy(yTrue, yPred)) as tf.Scalar)
      : (tf.mean(tf.metrics.categoricalAccuracy(yTrue, yPred)) as tf.Scalar);
}

/** A metric's log name and function; "accuracy" depends on the loss it goes with. */
export function resolveMetric(spec: MetricSpec, loss: LossSpec): { name: string; fn: MetricFn } {
  if (typeof spec === "object") return spec;
  switch (spec) {
    case "accuracy":
    case "acc":
      return { name: spec, fn: accuracyFor(loss) };
    case "mse":
      return { name: "mse", fn: LOSSES.mse };
    case "mae":
      return { name: "mae", fn: LOSSES.mae };
    case "binaryCrossentropy":
    case "categoricalCrossentropy":
      return { name: spec, fn: LOSSES[spec] };
    default:
      throw new Error(
        `Unknown metric "${String(spec)}". Use accuracy, mse, mae, binaryCrossentropy, categoricalCrossentropy or {name, fn}.`,
      );
  }
}
