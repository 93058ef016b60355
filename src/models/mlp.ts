/**
 * `mlp(...)`: a multilayer perceptron as a tf.Sequential, seeded.
 *
 * Layers: [dropout(inputDropout)] -> (dense(h_i, activation) -> [noise(hiddenNoise)] -> [dropout(p_i)])*
 * -> dense(outputs, outputActivation). Kernels use Glorot-uniform and biases
 * zeros (the Keras defaults); every initializer gets its own seed drawn from
 * `rng(seed)`, so after `seed(n)` (or with the `seed` option) the model's
 * initial weights are reproducible. Dropout is tfjs inverted dropout WITHOUT
 * a seed (a fixed seed would repeat the same mask every step); its masks come
 * from Math.random, which `seed(n)` makes reproducible.
 */
import * as tf from "@tensorflow/tfjs";
import { rng } from "../random/seed";
import { gaussianNoiseLayer } from "../regularizers/noise";
import type { Regularizer } from "@tensorflow/tfjs-layers/dist/regularizers";

type Activation = "relu" | "tanh" | "sigmoid" | "softmax" | "linear" | "elu" | "selu" | "softplus" | "relu6" | "swish" | "gelu";

export interface MlpOptions {
  /** Number of input features. */
  inputs: number;
  /** Units of each hidden layer. */
  hidden: number[];
  /** Units of the output layer. */
  outputs: number;
  /** Hidden activation. Default "relu". */
  activation?: Activation;
  /** Output activation. Default "linear". */
  outputActivation?: Activation;
  /** Dropout rate after each hidden layer (one for all, or one per layer). */
  dropout?: number | number[];
  /** Dropout rate on the inputs. */
  inputDropout?: number;
  /** Gaussian noise N(0, s^2) added to each hidden layer's activations in training (book 7.5: noise at hidden units). */
  hiddenNoise?: number;
  /** Regularizer on every kernel (e.g. `l2(1e-3).asLayerRegularizer()`). */
  kernelRegularizer?: Regularizer;
  /** Kernel constraint on every dense layer (applied by `train`, not by `fit`). */
  kernelConstraint?: Parameters<typeof tf.layers.dense>[0]["kernelConstraint"];
  /** Seed for the initializers; default: drawn from the global stream (see seed(n)). */
  seed?: number;
  /** Model name. */
  name?: string;
}

function checkRate(what: string, p: number): void {
  if (typeof p !== "number" || !(p >= 0 && p < 1)) throw new RangeError(`${what} must be in [0, 1), got ${String(p)}`);
}

export function mlp(options: MlpOptions): tf.Sequential {
  const { inputs, hidden, outputs } = options;
  if (!Number.isInteger(inputs) || inputs < 1) throw new RangeError(`mlp: inputs must be a positive integer, got ${inputs}`);
  if (!Array.isArray(hidden) || hidden.some((h) => !Number.isInteger(h) || h < 1)) {
    throw new RangeError(`mlp: hidden must be an array of positive integers, got ${JSON.stringify(hidden)}`);
  }
  if (!Number.isInteger(outputs) || outputs < 1) throw new RangeError(`mlp: outputs must be a positive integer, got ${outputs}`);
  const d = options.dropout;
  const rates: number[] = Array.isArray(d) ? d : hidden.map(() => d ?? 0);
  if (rates.length !== hidden.length) throw new RangeError(`mlp: dropout has ${rates.length} rates for ${hidden.length} hidden layers`);
  rates.forEach((p) => checkRate("mlp: dropout", p));
  if (options.inputDropout !== undefined) checkRate("mlp: inputDropout", options.inputDropout);
  const r = rng(options.seed);
  const model = tf.sequential({ name: options.name });
  const dense = (units: number, activation: Activation, first: boolean) =>
    tf.layers.dense({
      units,
      activation,
      ...(first ? { inputShape: [inputs] } : {}),
      kernelInitializer: tf.initializers.glorotUniform({ seed: r.seed() }),
      biasInitializer: "zeros",
      kernelRegularizer: options.kernelRegularizer,
      kernelConstraint: options.kernelConstraint,
    });
  let first = true;
  if (options.inputDropout) {
    model.add(tf.layers.dropout({ rate: options.inputDropout, inputShape: [inputs] }));
    first = false;
  }
  hidden.forEach((h, i) => {
    model.add(dense(h, options.activation ?? "relu", first));
    first = false;
    if (options.hiddenNoise) model.add(gaussianNoiseLayer({ stddev: options.hiddenNoise }));
    if (rates[i] > 0) model.add(tf.layers.dropout({ rate: rates[i] }));
  });
  model.add(dense(outputs, options.outputActivation ?? "linear", first));
  return model;
}
