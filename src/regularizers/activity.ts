/**
 * Sparse representations (Deep Learning book 7.10, eq. 7.46-7.49): penalize
 * the activations h of chosen layers instead of the weights.
 *
 *   activityL1(alpha):   Omega(h) = alpha * (1/m) sum_i ||h_i||_1
 *   klSparsity(rho, beta): Omega(h) = beta * sum_j KL(rho || rho^_j),
 *       rho^_j = (1/m) sum_i h_ij  (the mean activation of unit j on the batch),
 *       KL(rho || q) = rho log(rho/q) + (1 - rho) log((1 - rho)/(1 - q))
 *   (sparse autoencoders; needs h in (0, 1), e.g. sigmoid units; rho^ is
 *   clipped to [1e-6, 1 - 1e-6]).
 *
 * Convention: the L1 activity penalty is a MEAN over the m examples of the
 * batch and a SUM over units, like Keras' activity_regularizer (which divides
 * by the batch size), so alpha does not depend on the batch size. Penalties
 * on several layers are summed; the term is reported in the history under
 * its own name ("activity_l1", "kl_sparsity"), apart from weight penalties.
 *
 * Where the activations come from:
 * - a LayersModel: a second functional model shares the chosen layers
 *   (`tf.model({inputs, outputs: layer.output})`) and runs on the same batch
 *   in training mode. It is a second forward pass up to those layers: its
 *   dropout masks differ from the data-loss pass, and a batch-normalization
 *   layer before a chosen layer updates its moving statistics twice per step.
 * - a parameter set: give it `activations(x, training)` returning the hidden
 *   tensors by name (`ParamSetWithActivations`); `predict` may reuse it.
 *
 * tfjs: `activityRegularizer` on dense/conv layers throws "not supported yet"
 * (tfjs #8022); these terms replace it in `train`.
 */
import * as tf from "@tensorflow/tfjs";
import { isLayersModel } from "../training/model-adapter";
import type { ObjectiveTerm, ParamSet, StepContext, Trainable } from "../training/types";

/** A parameter set that can show its hidden activations (by name). */
export interface ParamSetWithActivations extends ParamSet {
  activations(x: tf.Tensor, training: boolean): Record<string, tf.Tensor>;
}

/** Which layers: LayersModel layer names or layers, or a parameter set's activation names. Default: every hidden layer with weights. */
export type LayerChoice = Array<string | tf.layers.Layer>;

function hasActivations(m: Trainable): m is ParamSetWithActivations {
  return !isLayersModel(m) && typeof (m as Partial<ParamSetWithActivations>).activations === "function";
}

/** Layers of a LayersModel by name or reference; default every weighted layer but the last. */
function chosenLayers(model: tf.LayersModel, layers: LayerChoice | undefined): tf.layers.Layer[] {
  if (!layers) {
    const weighted = model.layers.filter((l) => l.trainableWeights.length > 0);
    if (weighted.length < 2) throw new Error("activity: the model has no hidden layer with weights; name the layers to penalize.");
    return weighted.slice(0, -1);
  }
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new Error("activity: layers must be a non-empty array of layer names or layers.");
  }
  return layers.map((l) => {
    if (typeof l !== "string") {
      if (!model.layers.includes(l)) throw new Error(`activity: layer "${l.name}" is not a layer of this model.`);
      return l;
    }
    const found = model.layers.find((x) => x.name === l);
    if (!found) throw new Error(`activity: no layer named "${l}" (layers: ${model.layers.map((x) => x.name).join(", ")}).`);
    return found;
  });
}

/**
 * A function x -> the chosen layers' activations, for either kind of model.
 * For a LayersModel it builds a functional model sharing the layers
 * (dispose it with `.dispose()` when done: it owns no weights).
 */
export interface ActivationProbe {
  names: string[];
  (x: tf.Tensor, training: boolean): tf.Tensor[];
  dispose(): void;
}

export function activationProbe(model: Trainable, layers?: LayerChoice): ActivationProbe {
  if (isLayersModel(model)) {
    const ls = chosenLayers(model, layers);
    if (model instanceof tf.Sequential && !model.built) model.build();
    const sub = tf.model({ inputs: model.inputs, outputs: ls.map((l) => l.output as tf.SymbolicTensor) });
    const probe = ((x: tf.Tensor, training: boolean) => {
      const out = sub.apply(x, { training }) as tf.Tensor | tf.Tensor[];
      return Array.isArray(out) ? out : [out];
    }) as ActivationProbe;
    probe.names = ls.map((l) => l.name);
    probe.dispose = () => undefined;
    return probe;
  }
  if (!hasActivations(model)) {
    throw new Error("activity: a parameter set needs activations(x, training) returning its hidden tensors by name.");
  }
  const pick = (acts: Record<string, tf.Tensor>): string[] => {
    const names = layers ? layers.map((l) => (typeof l === "string" ? l : l.name)) : Object.keys(acts);
    for (const n of names) {
      if (!(n in acts)) throw new Error(`activity: no activation named "${n}" (has: ${Object.keys(acts).join(", ")}).`);
    }
    return names;
  };
  let names: string[] | null = null;
  const probe = ((x: tf.Tensor, training: boolean) => {
    const acts = model.activations(x, training);
    names = names ?? pick(acts);
    return names.map((n) => acts[n]);
  }) as ActivationProbe;
  Object.defineProperty(probe, "names", { get: () => names ?? [] });
  probe.dispose = () => undefined;
  return probe;
}

/** The chosen layers' activations on x (inference mode by default), as tensors the caller disposes. */
export function activations(model: Trainable, x: tf.Tensor, options: { layers?: LayerChoice; training?: boolean } = {}): tf.Tensor[] {
  const probe = activationProbe(model, options.layers);
  try {
    return tf.tidy(() => probe(x, options.training ?? false));
  } finally {
    probe.dispose();
  }
}

type Penalty = (h: tf.Tensor) => tf.Scalar;

function activityTerm(name: string, penalty: Penalty, layers: LayerChoice | undefined): ObjectiveTerm {
  let probe: ActivationProbe | null = null;
  return {
    name,
    setup(model: Trainable): void {
      probe = activationProbe(model, layers);
    },
    value(ctx: StepContext): tf.Scalar {
      if (!probe) throw new Error(`${name}: the term was not set up (use it through train's terms option).`);
      let total: tf.Scalar = tf.scalar(0);
      for (const h of probe(ctx.x, true)) total = tf.add(total, penalty(h.reshape([h.shape[0], -1]))) as tf.Scalar;
      return total;
    },
    teardown(): void {
      probe?.dispose();
      probe = null;
    },
  };
}

function checkPositive(v: number, what: string): void {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new RangeError(`${what} must be a finite number >= 0, got ${String(v)}`);
}

/** alpha * mean_i ||h_i||_1 for one [m, units] activation matrix. */
export function activityL1Value(h: tf.Tensor, alpha: number): tf.Scalar {
  return tf.tidy(() => tf.mul(tf.div(tf.sum(tf.abs(h)), h.shape[0]), alpha) as tf.Scalar);
}

/** beta * sum_j KL(rho || mean_i h_ij) for one [m, units] activation matrix with entries in (0, 1). */
export function klSparsityValue(h: tf.Tensor, rho: number, beta: number): tf.Scalar {
  return tf.tidy(() => {
    const q = tf.clipByValue(tf.mean(h, 0), 1e-6, 1 - 1e-6);
    const kl = tf.add(tf.mul(rho, tf.log(tf.div(rho, q))), tf.mul(1 - rho, tf.log(tf.div(1 - rho, tf.sub(1, q)))));
    return tf.mul(tf.sum(kl), beta) as tf.Scalar;
  });
}

/**
 * L1 activity penalty alpha * (1/m) sum_i ||h_i||_1 on the chosen layers, as
 * an objective term for `train(..., {terms})`.
 *
 * @example await train(model, data, {terms: activityL1(1e-3, {layers: ["hidden"]}), ...})
 */
export function activityL1(alpha: number, options: { layers?: LayerChoice; name?: string } = {}): ObjectiveTerm {
  checkPositive(alpha, "activityL1: alpha");
  return activityTerm(options.name ?? "activity_l1", (h) => activityL1Value(h, alpha), options.layers);
}

/**
 * KL sparsity target: beta * sum_j KL(rho || rho^_j) on the chosen layers
 * (units in (0, 1), e.g. sigmoid), as an objective term.
 *
 * @example await train(autoencoder, {x, y: x}, {terms: klSparsity(0.05, {beta: 3, layers: ["code"]})})
 */
export function klSparsity(rho: number, options: { beta?: number; layers?: LayerChoice; name?: string } = {}): ObjectiveTerm {
  if (typeof rho !== "number" || !(rho > 0 && rho < 1)) throw new RangeError(`klSparsity: rho must be in (0, 1), got ${String(rho)}`);
  const beta = options.beta ?? 1;
  checkPositive(beta, "klSparsity: beta");
  return activityTerm(options.name ?? "kl_sparsity", (h) => klSparsityValue(h, rho, beta), options.layers);
}

export interface SparsityStats {
  /** Fraction of entries with |h| <= threshold. */
  nearZero: number;
  /** Per unit: fraction of examples where h > threshold (firing rate). */
  firingRates: number[];
  /** Mean |h| over entries. */
  meanAbs: number;
  /** Units that never fire on these examples. */
  deadUnits: number;
}

/** Sparsity of an activation matrix [m, units] (or any [m, ...]): near-zero fraction and per-unit firing rates. */
export function sparsityStats(h: tf.Tensor, options: { threshold?: number } = {}): SparsityStats {
  const t = options.threshold ?? 1e-3;
  checkPositive(t, "sparsityStats: threshold");
  let near = 0;
  let meanAbs = 0;
  let rates: number[] = [];
  tf.tidy(() => {
    const flat = h.reshape([h.shape[0], -1]);
    const abs = tf.abs(flat);
    near = tf.mean(tf.cast(tf.lessEqual(abs, t), "float32")).dataSync()[0];
    rates = Array.from(tf.mean(tf.cast(tf.greater(flat, t), "float32"), 0).dataSync());
    meanAbs = tf.mean(abs).dataSync()[0];
  });
  return { nearZero: near, firingRates: rates, meanAbs, deadUnits: rates.filter((r) => r === 0).length };
}

/** Fraction of kernel entries with |w| <= threshold (weight sparsity, what weight L1 produces). */
export function weightSparsity(model: Trainable, options: { threshold?: number } = {}): number {
  const t = options.threshold ?? 1e-3;
  const ws = isLayersModel(model)
    ? model.trainableWeights.filter((w) => /kernel/.test(w.name)).map((w) => w.read())
    : model.params.filter((p) => p.rank >= 2);
  if (ws.length === 0) throw new Error("weightSparsity: the model has no kernels.");
  return tf.tidy(() => {
    let near = 0;
    let total = 0;
    for (const w of ws) {
      near += tf.sum(tf.cast(tf.lessEqual(tf.abs(w), t), "float32")).dataSync()[0];
      total += w.size;
    }
    return near / total;
  });
}
