/**
 * Label smoothing (Deep Learning book 7.5.1; Szegedy et al. 2016).
 *
 * Two conventions for k classes and smoothing eps:
 *
 *   "book"  (default): target 1 - eps, every other class eps / (k - 1)
 *   "keras": y (1 - eps) + eps / k, i.e. target 1 - eps + eps/k, others
 *            eps/k (Keras, PyTorch, tf.losses.softmaxCrossEntropy)
 *
 * Both give a proper distribution. Minimizing the cross-entropy
 * -sum_j y~_j log p_j pulls softmax(z) to y~ itself, so the optimal logits
 * are FINITE: the gap between the target logit and each other logit is
 *
 *   ln( (1 - eps) / (eps / (k - 1)) )            (book; k = 10, eps = 0.1: ln 81)
 *   ln( (1 - eps + eps/k) / (eps / k) )          (keras; k = 10, eps = 0.1: ln 91)
 *
 * whereas hard targets (eps = 0) push it to infinity: on separable data the
 * weights of a softmax classifier keep growing without smoothing and stop
 * with it.
 *
 * `smoothedCrossEntropy` returns the MEAN over the batch, like the losses of
 * `train` and `fit`. With `fromLogits: false` (default, for softmax-output
 * models) predictions are clipped to [1e-7, 1 - 1e-7] as tfjs does; with
 * `fromLogits: true` it uses a numerically stable log-softmax.
 */
import * as tf from "@tensorflow/tfjs";

export type SmoothingConvention = "book" | "keras";

function checkEps(eps: number, k: number, where: string): void {
  if (typeof eps !== "number" || !(eps >= 0 && eps < 1)) {
    throw new RangeError(`${where}: eps must be in [0, 1), got ${String(eps)}`);
  }
  if (!Number.isInteger(k) || k < 2) throw new Error(`${where}: needs at least 2 classes on the last axis, got ${k}`);
}

function checkConvention(c: string): void {
  if (c !== "book" && c !== "keras") throw new Error(`label smoothing: convention must be "book" or "keras", got ${String(c)}`);
}

/**
 * Smooth one-hot targets (last axis = classes).
 *
 * @example labelSmoothing(tf.oneHot(labels, 10), 0.1)          // 0.9 and 0.1/9
 * @example labelSmoothing(y, 0.1, {convention: "keras"})       // 0.91 and 0.01
 */
export function labelSmoothing(yOneHot: tf.Tensor, eps: number, options: { convention?: SmoothingConvention } = {}): tf.Tensor {
  const convention = options.convention ?? "book";
  checkConvention(convention);
  const k = yOneHot.shape[yOneHot.rank - 1] ?? 0;
  checkEps(eps, k, "labelSmoothing");
  return tf.tidy(() => {
    const y = yOneHot.toFloat();
    if (convention === "keras") return y.mul(1 - eps).add(eps / k);
    const off = eps / (k - 1);
    // y * (1 - eps) + (1 - y) * off = y * (1 - eps - off) + off
    return y.mul(1 - eps - off).add(off);
  });
}

/** The gap between the target logit and the others at the optimum of the smoothed loss. */
export function optimalLogitGap(k: number, eps: number, convention: SmoothingConvention = "book"): number {
  checkEps(eps, k, "optimalLogitGap");
  checkConvention(convention);
  if (eps === 0) return Infinity;
  return convention === "book" ? Math.log((1 - eps) / (eps / (k - 1))) : Math.log((1 - eps + eps / k) / (eps / k));
}

export interface SmoothedCrossEntropyOptions {
  /** true: predictions are logits; false (default): probabilities (softmax outputs). */
  fromLogits?: boolean;
  /** Default "book". */
  convention?: SmoothingConvention;
}

/**
 * Cross-entropy against smoothed one-hot targets, as a loss `(yTrue, yPred)
 * => scalar` for `train` (or a custom loop). `yTrue` is one-hot; pass
 * `eps = 0` for the ordinary categorical cross-entropy.
 *
 * @example await train(model, data, {loss: smoothedCrossEntropy(0.1), ...})
 */
export function smoothedCrossEntropy(
  eps: number,
  options: SmoothedCrossEntropyOptions = {},
): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Scalar {
  const convention = options.convention ?? "book";
  checkConvention(convention);
  if (typeof eps !== "number" || !(eps >= 0 && eps < 1))
    throw new RangeError(`smoothedCrossEntropy: eps must be in [0, 1), got ${String(eps)}`);
  const fromLogits = options.fromLogits ?? false;
  return (yTrue, yPred) =>
    tf.tidy(() => {
      if (yTrue.rank !== yPred.rank || yTrue.shape[yTrue.rank - 1] !== yPred.shape[yPred.rank - 1]) {
        throw new Error(
          `smoothedCrossEntropy: yTrue must be one-hot with the same shape as yPred; got [${yTrue.shape}] and [${yPred.shape}] ` +
            "(use tf.oneHot for integer labels)",
        );
      }
      const target = labelSmoothing(yTrue, eps, { convention });
      const logP = fromLogits ? tf.logSoftmax(yPred) : tf.log(tf.clipByValue(yPred, 1e-7, 1 - 1e-7));
      return tf.mean(tf.neg(tf.sum(tf.mul(target, logP), -1))) as tf.Scalar;
    });
}
