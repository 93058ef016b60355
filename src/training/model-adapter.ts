/**
 * One view of the two kinds of model `train` accepts — a tfjs LayersModel or
 * a from-scratch `ParamSet` — for the loop, the objective and callbacks:
 * variables, forward pass, output names, the layers' own losses.
 */
import * as tf from "@tensorflow/tfjs";
import type { TrainableModel } from "./callbacks";
import type { Dataset, ParamSet, Targets, Trainable } from "./types";

export function isLayersModel(m: Trainable): m is tf.LayersModel {
  return m instanceof tf.LayersModel;
}

/** Wraps a parameter set so callbacks (early stopping) can read and write its weights. */
class ParamSetModel implements TrainableModel {
  stopTraining = false;
  constructor(private readonly ps: ParamSet) {}
  getWeights(): tf.Tensor[] {
    return this.ps.params;
  }
  setWeights(weights: tf.Tensor[]): void {
    if (weights.length !== this.ps.params.length) {
      throw new Error(`setWeights: expected ${this.ps.params.length} tensors, got ${weights.length}`);
    }
    this.ps.params.forEach((p, i) => p.assign(weights[i]));
  }
}

// One wrapper per parameter set, so a stop flag set by a callback persists across runs.
const wrappers = new WeakMap<ParamSet, ParamSetModel>();

/** The model as callbacks see it (`setModel`). */
export function asTrainableModel(model: Trainable): TrainableModel {
  if (isLayersModel(model)) return model as unknown as TrainableModel;
  let w = wrappers.get(model);
  if (!w) wrappers.set(model, (w = new ParamSetModel(model)));
  return w;
}

/** Trainable tf.Variables of either kind of model. */
export function trainableVariables(model: Trainable): tf.Variable[] {
  if (isLayersModel(model)) return model.trainableWeights.map((w) => w.read() as tf.Variable);
  if (!model || !Array.isArray(model.params) || typeof model.predict !== "function") {
    throw new TypeError("train: model must be a tf.LayersModel or {params: tf.Variable[], predict(x, training)}.");
  }
  return model.params;
}

/**
 * The names of a model's outputs, used for logs and keyed targets by `train`,
 * `evaluateModel` and early stopping alike. A LayersModel names them (an
 * uncompiled Sequential by its output layers, as compile would); a parameter
 * set by `outputNames`, else by the targets: "output" for one tensor,
 * "output_i" for an array, the keys of a record.
 */
export function outputNames(model: Trainable, y: Targets): string[] {
  if (isLayersModel(model)) {
    return model.outputNames.length ? model.outputNames.slice() : model.outputs.map((o) => o.name.split("/")[0]);
  }
  if (model.outputNames) return model.outputNames.slice();
  if (y instanceof tf.Tensor) return ["output"];
  if (Array.isArray(y)) return y.length === 1 ? ["output"] : y.map((_, i) => `output_${i}`);
  return Object.keys(y);
}

/** Targets in output order. */
export function targetList(y: Targets, names: string[]): tf.Tensor[] {
  if (y instanceof tf.Tensor) {
    if (names.length !== 1) throw new Error(`The model has ${names.length} outputs (${names.join(", ")}) but y is a single tensor.`);
    return [y];
  }
  if (Array.isArray(y)) {
    if (y.length !== names.length) throw new Error(`The model has ${names.length} outputs but y has ${y.length} tensors.`);
    return y;
  }
  return names.map((n) => {
    const t = y[n];
    if (!t) throw new Error(`y has no target for output "${n}" (keys: ${Object.keys(y).join(", ")}).`);
    return t;
  });
}

/** `data` with its targets in output order, for code that needs arrays. */
export function targetsOf(model: Trainable, data: Dataset): { names: string[]; ys: tf.Tensor[] } {
  const names = outputNames(model, data.y);
  return { names, ys: targetList(data.y, names) };
}

/**
 * The layers' regularization losses (kernelRegularizer, addLoss), as `fit`
 * adds them. A Sequential delegates to an inner functional model, built lazily.
 */
export function layerLossesOf(model: Trainable): () => tf.Scalar[] {
  if (!isLayersModel(model)) return () => [];
  let target: tf.LayersModel = model;
  if (model instanceof tf.Sequential) {
    // `model` is private in the typings; it is the functional model Sequential wraps.
    const inner = () => (model as unknown as { model?: tf.LayersModel }).model;
    if (!inner()) model.build();
    target = inner() ?? model;
  }
  return () => target.calculateLosses();
}

/** The model's outputs on x, always as a list. */
export function forward(model: Trainable, x: tf.Tensor, training: boolean): tf.Tensor[] {
  const out = isLayersModel(model) ? (model.apply(x, { training }) as tf.Tensor | tf.Tensor[]) : model.predict(x, training);
  return Array.isArray(out) ? out : [out];
}
