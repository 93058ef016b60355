/**
 * Data checks before any training work: one row per example everywhere; for
 * LayersModels x against `model.inputs[0].shape` and every target against
 * its output's shape (batch axis ignored; sparse losses take [n] / [n, 1]
 * integer labels in 0..K-1). Errors name both shapes, the input/output, and
 * what to do. A parameter set's output shapes are only known after a forward
 * pass: `checkOutputs` checks them before the first step.
 */
import * as tf from "@tensorflow/tfjs";
import type { LossSpec } from "./losses";
import { isLayersModel, targetList } from "./model-adapter";
import type { Objective } from "./objective";
import type { Dataset, Trainable } from "./types";

type Dims = ReadonlyArray<number | null>;

const fmt = (shape: Dims): string => `[${shape.map((d) => (d === null ? "null" : String(d))).join(",")}]`;

/** Same shape after the batch axis; unknown (null) model dimensions match anything. */
function fitsAfterBatch(shape: Dims, model: Dims): boolean {
  return shape.length === model.length && shape.every((d, i) => i === 0 || model[i] === null || model[i] === d);
}

const SPARSE: LossSpec = "sparseCategoricalCrossentropy";

/**
 * How target `y` relates to an output of shape `out` (batch axis included)
 * under `loss`: "ok"; "column" when y is [n] for a one-unit output (taken
 * as [n, 1], as `fit` does); otherwise what to do about it. Function losses
 * define their own targets: only rows are checked for them.
 */
function targetFit(y: tf.Tensor, out: Dims, loss: LossSpec): "ok" | "column" | { hint: string } {
  if (typeof loss === "function") return "ok";
  const k = out[out.length - 1];
  if (loss === SPARSE) {
    const classes = out.slice(0, -1);
    if (fitsAfterBatch(y.shape, classes) || fitsAfterBatch(y.shape, [...classes, 1])) return "ok";
    if (fitsAfterBatch(y.shape, out) && k !== 1) {
      return {
        hint: `sparseCategoricalCrossentropy takes integer class labels of shape [n] or [n,1];` +
          ` for one-hot targets use loss "categoricalCrossentropy"`,
      };
    }
    return {
      hint: `sparseCategoricalCrossentropy takes integer class labels of shape [n] or [n,1] (values 0..${k === null ? "K" : k - 1})`,
    };
  }
  if (fitsAfterBatch(y.shape, out)) return "ok";
  if (y.rank === 1 && out.length === 2 && out[1] === 1) return "column";
  const labels = y.rank === out.length - 1 || (y.rank === out.length && y.shape[y.rank - 1] === 1);
  if (labels && k !== null && k > 1 && (loss === "categoricalCrossentropy" || y.dtype === "int32")) {
    return {
      hint: `these look like integer class labels: use loss "sparseCategoricalCrossentropy",` +
        ` or one-hot encode them (tf.oneHot(labels, ${k}))`,
    };
  }
  if (y.rank === out.length)
    return {
      hint:
        out.length === 2
          ? "one column per output unit"
          : `y must be [n${out
              .slice(1)
              .map((d) => `,${d ?? "*"}`)
              .join("")}]`,
    };
  return {
    hint: `y must have rank ${out.length} ([n${out
      .slice(1)
      .map((d) => `,${d ?? "*"}`)
      .join("")}]); reshape it`,
  };
}

/** Checked, model-shaped data: targets in output order, tensors made here listed in `owned`. */
export interface CheckedData {
  x: tf.Tensor;
  ys: tf.Tensor[];
  owned: tf.Tensor[];
}

/** Validate `data` against the model (see the module header); `what` names it in errors. */
export async function checkData(model: Trainable, data: Dataset, obj: Objective, what: string): Promise<CheckedData> {
  if (!data || !(data.x instanceof tf.Tensor)) {
    throw new TypeError(
      `${what}: expected {x: tf.Tensor, y}, got ${data === null ? "null" : typeof data}` +
      `${data && typeof data === "object" ? ` with x of type ${typeof (data as Dataset).x}` : ""}.`,
    );
  }
  const { names } = obj;
  const ys = targetList(data.y, names);
  const x = data.x;
  const n = x.shape[0];
  const yName = (i: number) => (names.length === 1 ? "y" : `the target for output '${names[i]}'`);
  ys.forEach((y, i) => {
    if (!(y instanceof tf.Tensor)) throw new TypeError(`${what}: ${yName(i)} is not a tf.Tensor (got ${typeof y}).`);
    if (y.rank === 0 || y.shape[0] !== n) {
      const rows = y.rank === 0 ? "no rows (it is a scalar)" : `${y.shape[0]}`;
      throw new Error(
        `${what}: x has ${n} rows but the target for output '${names[i]}' has ${rows}` +
        ` (x: ${fmt(x.shape)}, y: ${fmt(y.shape)}): x and y need one row per example.`,
      );
    }
  });
  const owned: tf.Tensor[] = [];
  if (!isLayersModel(model)) return { x, ys, owned };
  if (model.inputs.length !== 1) {
    throw new Error(
      `${what}: train feeds one input tensor x, but the model has ${model.inputs.length} inputs` +
      ` (${model.inputs.map((s) => `'${s.name}'`).join(", ")}).`,
    );
  }
  const input = model.inputs[0];
  if (!fitsAfterBatch(x.shape, input.shape)) {
    const features = input.shape.slice(1);
    const hint =
      x.rank !== input.shape.length
        ? `x must have rank ${input.shape.length} ([n,${features.map((d) => d ?? "*").join(",")}] for n rows)`
        : input.shape.length === 2
          ? `one column per input feature (the model was built with inputShape ${fmt(features)})`
          : `every row must have shape ${fmt(features)} (the model's inputShape)`;
    throw new Error(`${what}: x has shape ${fmt(x.shape)} but the model's input '${input.name}' has shape ${fmt(input.shape)}: ${hint}.`);
  }
  const checked = ys.map((y, i) => {
    const out = model.outputs[i].shape;
    const fit = targetFit(y, out, obj.lossSpecs[i]);
    if (fit === "column") {
      const col = y.reshape([n, 1]);
      owned.push(col);
      return col;
    }
    if (fit !== "ok")
      throw new Error(
        `${what}: ${yName(i)} has shape ${fmt(y.shape)} but the model's output '${names[i]}' has shape ${fmt(out)}: ${fit.hint}.`,
      );
    return y;
  });
  for (let i = 0; i < checked.length; i++) {
    const k = model.outputs[i].shape[model.outputs[i].shape.length - 1];
    if (obj.lossSpecs[i] === SPARSE && k !== null) await checkLabels(checked[i], k, `${what}: ${yName(i)}`);
  }
  return { x, ys: checked, owned };
}

/** Sparse labels must be integers in 0..k-1 (tf.oneHot silently gives a zero row otherwise). */
async function checkLabels(y: tf.Tensor, k: number, what: string): Promise<void> {
  const values = await y.data();
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isInteger(v) || v < 0 || v >= k) {
      throw new Error(
        `${what} holds ${v} at row ${Math.floor(i / Math.max(1, values.length / y.shape[0]))}:` +
        ` sparseCategoricalCrossentropy takes integer class labels 0..${k - 1} (one per output unit).`,
      );
    }
  }
}

/** A parameter set's outputs (computed on one row) against the targets (batch axis ignored). */
export function checkOutputs(obj: Objective, ys: tf.Tensor[], outs: tf.Tensor[]): void {
  if (outs.length !== ys.length)
    throw new Error(`train data: the model returned ${outs.length} outputs but there are ${ys.length} targets (${obj.names.join(", ")}).`);
  outs.forEach((o, i) => {
    const out: Dims = [null, ...o.shape.slice(1)];
    const fit = targetFit(ys[i], out, obj.lossSpecs[i]);
    const yName = obj.names.length === 1 ? "y" : `the target for output '${obj.names[i]}'`;
    if (fit === "column") {
      throw new Error(
        `train data: ${yName} has shape ${fmt(ys[i].shape)} but the model's output '${obj.names[i]}' has shape ${fmt(out)}:` +
        ` reshape y to [n,1] (y.reshape([-1, 1])).`,
      );
    }
    if (fit !== "ok")
      throw new Error(
        `train data: ${yName} has shape ${fmt(ys[i].shape)} but the model's output '${obj.names[i]}' has shape ${fmt(out)}: ${fit.hint}.`,
      );
  });
}
