/**
 * Inference with dropout: Monte Carlo averaging vs weight scaling.
 *
 * MC dropout (book 7.12, "sample many masks and average"; Gal &
 * Ghahramani 2016): run T stochastic forward passes with dropout ON,
 *
 *     mean = (1/T) sum_t f(x; mask_t),   std = sqrt((1/T) sum_t (f_t - mean)^2)
 *
 * (population std, divisor T). 10-20 samples are often enough for the mean;
 * the std is a rough uncertainty estimate.
 *
 * Weight scaling (book 7.66) evaluates the network once with every unit
 * present and its outgoing weights multiplied by keep. With INVERTED dropout
 * (what `dropoutLayer` and tfjs do) the 1/keep applied during training makes
 * that the plain `model.predict`: `weightScalingPredict` is exactly that,
 * named so notebooks can say which rule they use.
 */
import * as tf from "@tensorflow/tfjs";

export interface McDropoutResult {
  /** Mean over the T passes, shape of one prediction. */
  mean: tf.Tensor;
  /** Population standard deviation over the T passes. */
  std: tf.Tensor;
  /** All passes stacked on a new leading axis [T, ...], only with `keepSamples`. */
  samples?: tf.Tensor;
}

/** Any model with tfjs's `apply` (LayersModel, Sequential, a single Layer). */
export interface Appliable {
  apply(x: tf.Tensor, kwargs: { training: boolean }): tf.Tensor | tf.Tensor[] | tf.SymbolicTensor | tf.SymbolicTensor[];
}

function single(out: ReturnType<Appliable["apply"]>): tf.Tensor {
  if (Array.isArray(out) || !(out instanceof tf.Tensor)) {
    throw new Error("mcDropoutPredict: the model must have a single output and be applied to a concrete tensor");
  }
  return out;
}

/**
 * T stochastic passes with dropout on (`model.apply(x, {training: true})`).
 * Reproducible after `seed(n)`; every pass draws new masks.
 *
 * @example const {mean, std} = mcDropoutPredict(model, xTest, {samples: 20})
 */
export function mcDropoutPredict(
  model: Appliable,
  x: tf.Tensor,
  options: { samples?: number; keepSamples?: boolean } = {},
): McDropoutResult {
  const T = options.samples ?? 20;
  if (!Number.isInteger(T) || T < 1) throw new RangeError(`mcDropoutPredict: samples must be a positive integer, got ${T}`);
  return tf.tidy(() => {
    const passes: tf.Tensor[] = [];
    for (let t = 0; t < T; t++) passes.push(single(model.apply(x, { training: true })));
    const stacked = tf.stack(passes);
    const { mean, variance } = tf.moments(stacked, 0);
    const out: McDropoutResult = { mean, std: tf.sqrt(variance) };
    if (options.keepSamples) out.samples = stacked;
    // tf.tidy keeps tensors found in a returned object.
    return out as unknown as tf.TensorContainerObject;
  }) as unknown as McDropoutResult;
}

/**
 * Weight-scaling inference for an inverted-dropout model: the deterministic
 * pass with all units present, i.e. `model.predict(x)`.
 */
export function weightScalingPredict(model: { predict(x: tf.Tensor): tf.Tensor | tf.Tensor[] }, x: tf.Tensor): tf.Tensor {
  const out = model.predict(x);
  if (Array.isArray(out)) throw new Error("weightScalingPredict: the model must have a single output");
  return out;
}
