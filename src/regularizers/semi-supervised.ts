/**
 * Semi-supervised learning (Deep Learning book 7.6): unlabelled inputs x_u
 * shape P(y | x) through an extra term on them. Every step draws a batch of
 * unlabelled rows (uniformly, with Math.random, so `seed(n)` reproduces it)
 * and adds one of:
 *
 * - pseudo-labels (Lee 2013): the predicted class y^ = argmax f(x_u) (model in
 *   inference mode, treated as a constant) is the target wherever the model is
 *   confident (max_k f_k(x_u) >= threshold):
 *     Omega = w(t) * (1/m) sum_i 1[max f(x_u,i) >= tau] * CE(onehot(y^_i), f(x_u,i))
 *   divided by the whole unlabelled batch m (not by the confident count), as
 *   in FixMatch; CE is tfjs' categorical cross-entropy (probability outputs).
 * - Pi-model consistency (Laine & Aila 2017): two stochastic views of the
 *   same rows (the `augment` transform, default Gaussian input noise, plus
 *   dropout: both passes run in training mode), squared difference of the
 *   outputs averaged over rows and the K output units:
 *     Omega = w(t) * (1/m) sum_i (1/K) ||f(view1_i) - f(view2_i)||^2
 *   the gradient flows through both views (the original Pi-model).
 * - entropy minimization (Grandvalet & Bengio 2005):
 *     Omega = w(t) * (1/m) sum_i H(f(x_u,i)),  H(p) = -sum_k p_k log p_k
 *
 * w(t) is ramped up over epochs (`rampWeight`): Lee's linear schedule
 * (0 before `start`, linear to `weight` at `end`) or Laine & Aila's
 * "gaussian" exp(-5 (1 - T)^2), T = (t - start)/(end - start) in [0, 1].
 *
 * Single-output classifiers with probability outputs (softmax); the history
 * reports the term under "pseudo_label", "consistency" or "entropy".
 */
import * as tf from "@tensorflow/tfjs";
import { gaussianNoise } from "./noise";
import type { Dataset, ObjectiveTerm, PrepareContext, StepContext, Trainable } from "../training/types";

export interface UnlabeledData {
  /** Unlabelled inputs, same feature shape as the labelled x. */
  x: tf.Tensor;
}

export type SemiSupervisedMethod = "pseudoLabel" | "piModel" | "entropy";

export interface RampOptions {
  /** Final weight (Lee's alpha_f, Laine & Aila's w_max). Default 1. */
  weight?: number;
  /** Epoch at which the ramp starts (weight 0 before). Default 0. */
  start?: number;
  /** Epoch at which the full weight is reached. Default start (no ramp). */
  end?: number;
  /** "linear" (Lee 2013, default) or "gaussian" (Laine & Aila 2017). */
  shape?: "linear" | "gaussian";
}

export interface SemiSupervisedOptions extends RampOptions {
  method: SemiSupervisedMethod;
  /** Pseudo-labels: minimum predicted probability for a row to count. Default 0.95. */
  threshold?: number;
  /** Unlabelled rows per step. Default: the labelled batch's rows. */
  batchSize?: number;
  /** Pi-model: the random view transform. Default x + N(0, noise^2). */
  augment?: (x: tf.Tensor) => tf.Tensor;
  /** Pi-model: standard deviation of the default input noise. Default 0.15 (Laine & Aila). */
  noise?: number;
  /** History key. Defaults: "pseudo_label", "consistency", "entropy". */
  name?: string;
}

/** The ramped weight w(t) at (fractional) epoch t. */
export function rampWeight(t: number, options: RampOptions = {}): number {
  const w = options.weight ?? 1;
  const start = options.start ?? 0;
  const end = options.end ?? start;
  if (t < start) return 0;
  if (end <= start || t >= end) return w;
  const T = (t - start) / (end - start);
  return (options.shape ?? "linear") === "gaussian" ? w * Math.exp(-5 * (1 - T) * (1 - T)) : w * T;
}

function checkRamp(o: RampOptions): void {
  const w = o.weight ?? 1;
  if (typeof w !== "number" || !Number.isFinite(w) || w < 0) {
    throw new RangeError(`semiSupervised: weight must be a finite number >= 0, got ${String(o.weight)}`);
  }
  const start = o.start ?? 0;
  const end = o.end ?? start;
  if (!(start >= 0) || !(end >= start)) {
    throw new RangeError(`semiSupervised: need 0 <= start <= end (epochs), got start ${String(o.start)}, end ${String(o.end)}`);
  }
  if (o.shape !== undefined && o.shape !== "linear" && o.shape !== "gaussian") {
    throw new Error(`semiSupervised: shape must be "linear" or "gaussian", got ${String(o.shape)}`);
  }
}

const METHODS: readonly SemiSupervisedMethod[] = ["pseudoLabel", "piModel", "entropy"];
const NAMES: Record<SemiSupervisedMethod, string> = { pseudoLabel: "pseudo_label", piModel: "consistency", entropy: "entropy" };

/** Row indices drawn uniformly with replacement from Math.random (seeded by `seed`). */
function drawRows(n: number, m: number): tf.Tensor1D {
  const idx = new Int32Array(m);
  for (let i = 0; i < m; i++) idx[i] = Math.floor(Math.random() * n);
  return tf.tensor1d(idx, "int32");
}

function singleOutput(outs: tf.Tensor[]): tf.Tensor {
  if (outs.length !== 1) throw new Error(`semiSupervised: takes single-output models; this one has ${outs.length} outputs.`);
  return outs[0];
}

interface Prepared {
  /** Pseudo-labels / entropy: the unlabelled rows; Pi-model: the first view. */
  a: tf.Tensor;
  /** Pi-model: the second view. */
  b?: tf.Tensor;
  /** Pseudo-labels: one-hot targets and the 0/1 confidence mask. */
  target?: tf.Tensor;
  mask?: tf.Tensor;
}

/**
 * The semi-supervised objective term on `unlabeled` (what
 * `train(model, labelled, {unlabeled: {x}, semiSupervised: {...}})` adds).
 *
 * @example
 *   await train(model, labelled, {unlabeled: {x: xu}, loss: "categoricalCrossentropy",
 *     semiSupervised: {method: "pseudoLabel", threshold: 0.9, weight: 1, start: 10, end: 60}})
 */
export function semiSupervisedTerm(
  unlabeled: UnlabeledData | undefined,
  options: SemiSupervisedOptions | undefined,
): ObjectiveTerm<Prepared> {
  if (!options) throw new Error('train: `unlabeled` needs `semiSupervised: {method: "pseudoLabel" | "piModel" | "entropy", ...}`.');
  if (!unlabeled || !(unlabeled.x instanceof tf.Tensor)) throw new Error("train: `semiSupervised` needs `unlabeled: {x: tf.Tensor}`.");
  if (!METHODS.includes(options.method)) {
    throw new Error(`semiSupervised: method must be one of ${METHODS.join(", ")}, got ${String(options.method)}`);
  }
  checkRamp(options);
  const threshold = options.threshold ?? 0.95;
  if (typeof threshold !== "number" || !(threshold >= 0 && threshold <= 1)) {
    throw new RangeError(`semiSupervised: threshold must be in [0, 1], got ${String(threshold)}`);
  }
  if (options.batchSize !== undefined && (!Number.isInteger(options.batchSize) || options.batchSize < 1)) {
    throw new RangeError(`semiSupervised: batchSize must be a positive integer, got ${String(options.batchSize)}`);
  }
  const noise = options.noise ?? 0.15;
  if (typeof noise !== "number" || !(noise >= 0)) throw new RangeError(`semiSupervised: noise must be >= 0, got ${String(options.noise)}`);
  if (options.augment !== undefined && typeof options.augment !== "function") {
    throw new TypeError("semiSupervised: augment must be a function x => x'.");
  }
  const view = options.augment ?? ((x: tf.Tensor) => gaussianNoise(x, noise));
  const xu = unlabeled.x;
  const method = options.method;

  const makeView = (x: tf.Tensor): tf.Tensor => {
    const v = view(x);
    if (!(v instanceof tf.Tensor) || v.shape.join() !== x.shape.join()) {
      throw new Error("semiSupervised: augment must return a tensor of its input's shape.");
    }
    return v;
  };

  return {
    name: options.name ?? NAMES[method],
    setup(_model: Trainable, data: Dataset): void {
      if (xu.isDisposed) throw new Error("semiSupervised: unlabeled.x has been disposed.");
      if (xu.shape.slice(1).join() !== data.x.shape.slice(1).join()) {
        throw new Error(`semiSupervised: unlabeled.x rows have shape [${xu.shape.slice(1)}], labelled rows [${data.x.shape.slice(1)}].`);
      }
      if (xu.shape[0] === 0) throw new Error("semiSupervised: unlabeled.x is empty.");
      if (!(data.y instanceof tf.Tensor)) throw new Error("semiSupervised: takes single-output models (y a single tensor).");
      if (method === "pseudoLabel" && (data.y.rank !== 2 || (data.y.shape[1] ?? 0) < 2)) {
        throw new Error(`semiSupervised: pseudo-labels need one-hot targets [n, classes], got y of shape [${data.y.shape}].`);
      }
    },
    prepare(ctx: PrepareContext): Prepared {
      // Before the ramp starts the term is 0: no rows, no forward pass.
      if (rampWeight(ctx.epoch, options) === 0) return { a: tf.zeros([0]) };
      const m = options.batchSize ?? ctx.x.shape[0];
      const rows = drawRows(xu.shape[0], m);
      const a = tf.gather(xu, rows);
      rows.dispose();
      if (method === "piModel") return { a: makeView(a), b: makeView(a) };
      if (method === "entropy") return { a };
      const p = singleOutput(ctx.forward(a, false));
      const k = p.shape[p.rank - 1] ?? 0;
      const target = tf.oneHot(tf.argMax(p, -1) as tf.Tensor1D, k).toFloat();
      const mask = tf.cast(tf.greaterEqual(tf.max(p, -1), threshold), "float32");
      return { a, target, mask };
    },
    value(ctx: StepContext<Prepared>): tf.Scalar {
      const w = rampWeight(ctx.epoch, options);
      const { a, b, target, mask } = ctx.prepared;
      if (w === 0) return tf.scalar(0);
      let v: tf.Scalar;
      if (method === "piModel") {
        v = tf.mean(tf.square(tf.sub(singleOutput(ctx.forward(a, true)), singleOutput(ctx.forward(b!, true))))) as tf.Scalar;
      } else {
        const p = singleOutput(ctx.forward(a, true));
        if (method === "entropy") {
          const q = tf.clipByValue(p, 1e-7, 1);
          v = tf.mean(tf.neg(tf.sum(tf.mul(q, tf.log(q)), -1))) as tf.Scalar;
        } else {
          v = tf.mean(tf.mul(mask!, tf.metrics.categoricalCrossentropy(target!, p))) as tf.Scalar;
        }
      }
      return tf.mul(v, w) as tf.Scalar;
    },
  };
}
