/**
 * `train(model, data, options)`: one training loop for tfjs LayersModels and
 * for from-scratch parameter sets, with the regularization tfjs gets wrong
 * done right:
 *
 * - norm penalties reported separately: `loss` is the data loss J, `penalty`
 *   is Omega (the `penalty` option plus any layer regularizers), `total` =
 *   J + Omega is what is minimized; `val_loss` is J on the validation set;
 * - `lossWeights` really weight the outputs of a multi-output model:
 *   loss = sum_k w_k J_k;
 * - constraints (the `constraints` option and the layers' own
 *   `kernelConstraint`/`biasConstraint`, which `fit` ignores) are applied
 *   after every update;
 * - the model runs with `training: true`, so dropout is active;
 * - data are checked against the model before any work (input and output
 *   shapes, row counts, sparse labels), with errors that say what to do;
 * - a kernel interrupt (src/runtime/interrupt.ts) stops it after the
 *   current step with an InterruptedError: per-run tensors are released and
 *   callbacks still get onTrainEnd. The loop yields to the event loop every
 *   25 ms so that the interrupt (and timers, I/O) can arrive at all.
 *
 * Speed: each step is one gradient computation + `applyGradients` in a
 * tidy (what `optimizer.minimize` does), with pure L2 penalties' gradient
 * alpha*w added directly instead of differentiated; per-batch logs are
 * accumulated on the device (batch value x batch size) and read once per
 * epoch. Shuffling permutes the data once per epoch with `Math.random`
 * (seeded by `seed(n)`), so runs are bit-identical under a seed.
 *
 * Epoch loss = sum over batches of (batch mean loss x batch size) / n, the
 * same convention as tfjs `fit`, evaluated during the epoch (before each
 * step's update).
 */
import * as tf from "@tensorflow/tfjs";
import { resolveLoss, resolveMetric, type LossFn, type LossSpec, type MetricFn, type MetricSpec } from "./losses";
import { CallbackRunner, type Logs, type TrainCallback, type TrainableModel, type TrainState } from "./callbacks";
import { History } from "./history";
import type { NormPenalty } from "../regularizers/norm-penalties";
import { resolveOptimizer, type OptimizerName } from "./optimizers";
import { collectConstraints, applyProjections, type ConstraintSpec } from "../regularizers/constraints";
import { interruptGuard } from "../runtime/interrupt";

/** A from-scratch model: trainable variables and a forward function. */
export interface ParamSet {
  params: tf.Variable[];
  predict(x: tf.Tensor, training: boolean): tf.Tensor | tf.Tensor[];
  /** Names of the outputs when `predict` returns several (for logs and keyed targets). */
  outputNames?: string[];
}

export type Trainable = tf.LayersModel | ParamSet;
export type Targets = tf.Tensor | tf.Tensor[] | Record<string, tf.Tensor>;

export interface Dataset {
  x: tf.Tensor;
  y: Targets;
}

export interface TrainOptions {
  /** Passes over the data. Default 10. */
  epochs?: number;
  /** Rows per step; full batch when >= n. Default 32. */
  batchSize?: number;
  /** A tf.Optimizer, or a name ("sgd", "momentum", "adam", "rmsprop", "adagrad", "adadelta", "adamax", "adamw", "sgdw"). Default "sgd". */
  optimizer?: tf.Optimizer | OptimizerName;
  /** Learning rate when `optimizer` is a name. Default 0.01 (sgd) / 0.001 (adaptive). */
  learningRate?: number;
  /** Decoupled decay rate for "adamw"/"sgdw" given by name. */
  weightDecay?: number;
  /** Loss by name or function; per output as an array or a record keyed by output name. Default "mse". */
  loss?: LossSpec | LossSpec[] | Record<string, LossSpec>;
  /** Multi-output weights w_k in loss = sum_k w_k J_k. Default all 1. */
  lossWeights?: number[] | Record<string, number>;
  /** Metrics for every output ("accuracy", "mse", "mae", ...), or per output name. */
  metrics?: MetricSpec[] | Record<string, MetricSpec[]>;
  /** Evaluated after every epoch (data loss only, plus metrics). */
  validationData?: Dataset;
  /** Norm penalty/penalties added to the objective (kernels only unless the penalty says otherwise). */
  penalty?: NormPenalty | NormPenalty[];
  /** Projections applied after every update (in addition to the layers' own constraints). */
  constraints?: ConstraintSpec | ConstraintSpec[];
  callbacks?: TrainCallback | TrainCallback[];
  /** Shuffle rows every epoch (seeded through Math.random). Default true. */
  shuffle?: boolean;
  /** Live progress ("auto": in a notebook). Default "auto". */
  progress?: "auto" | boolean;
  /** Title of the progress display. */
  title?: string;
  /** Index of the first epoch (to continue a run). Default 0. */
  initialEpoch?: number;
}

function isLayersModel(m: Trainable): m is tf.LayersModel {
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

/** The model as callbacks see it (`setModel`). */
export function asTrainableModel(model: Trainable): TrainableModel {
  if (isLayersModel(model)) return model as unknown as TrainableModel;
  const anyModel = model as ParamSet & { __trainable?: TrainableModel };
  // One wrapper per parameter set so a stop flag set by a callback persists.
  return (anyModel.__trainable ??= new ParamSetModel(model));
}

/** Trainable tf.Variables of either kind of model. */
export function trainableVariables(model: Trainable): tf.Variable[] {
  if (isLayersModel(model)) return model.trainableWeights.map((w) => w.read() as tf.Variable);
  if (!model || !Array.isArray(model.params) || typeof model.predict !== "function") {
    throw new TypeError("train: model must be a tf.LayersModel or {params: tf.Variable[], predict(x, training)}.");
  }
  return model.params;
}

function outputNamesOf(model: Trainable, count: number): string[] {
  if (isLayersModel(model)) {
    // An uncompiled Sequential has no outputNames yet: use its output layers' names, as compile would.
    return model.outputNames.length ? model.outputNames.slice() : model.outputs.map((o) => o.name.split("/")[0]);
  }
  if (model.outputNames && model.outputNames.length === count) return model.outputNames.slice();
  return count === 1 ? ["output"] : Array.from({ length: count }, (_, i) => `output_${i}`);
}

/**
 * The layers' regularization losses (kernelRegularizer, addLoss), as `fit`
 * adds them. A Sequential delegates to an inner functional model, built lazily.
 */
function layerLossesOf(model: Trainable): () => tf.Scalar[] {
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

function forward(model: Trainable, x: tf.Tensor, training: boolean): tf.Tensor[] {
  const out = isLayersModel(model) ? (model.apply(x, { training }) as tf.Tensor | tf.Tensor[]) : model.predict(x, training);
  return Array.isArray(out) ? out : [out];
}

function outputCount(model: Trainable, data: Dataset): number {
  if (isLayersModel(model)) return model.outputs.length;
  if (model.outputNames) return model.outputNames.length;
  if (Array.isArray(data.y)) return data.y.length;
  if (data.y instanceof tf.Tensor) return 1;
  return Object.keys(data.y).length;
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

function perOutput<T>(spec: T | T[] | Record<string, T> | undefined, names: string[], fallback: T, what: string, isSingle: (v: unknown) => v is T): T[] {
  if (spec === undefined) return names.map(() => fallback);
  if (isSingle(spec)) return names.map(() => spec);
  if (Array.isArray(spec)) {
    if (spec.length !== names.length) throw new Error(`${what}: ${spec.length} values for ${names.length} outputs (${names.join(", ")}).`);
    return spec;
  }
  const rec = spec as Record<string, T>;
  for (const k of Object.keys(rec)) if (!names.includes(k)) throw new Error(`${what}: unknown output "${k}" (outputs: ${names.join(", ")}).`);
  return names.map((n) => (n in rec ? rec[n] : fallback));
}

/** The compiled form of the loss/metric options for one model. */
export interface Objective {
  names: string[];
  /** The loss of each output as given (names decide which target shapes are valid). */
  lossSpecs: LossSpec[];
  lossFns: LossFn[];
  lossWeights: number[];
  metrics: Array<{ key: string; output: number; fn: MetricFn }>;
  /** Log keys in the order of the vector `evaluateVector` returns. */
  keys: string[];
}

export function buildObjective(
  names: string[],
  loss: TrainOptions["loss"],
  lossWeights: TrainOptions["lossWeights"],
  metrics: TrainOptions["metrics"],
): Objective {
  const multi = names.length > 1;
  const lossSpecs = perOutput<LossSpec>(loss, names, "mse", "loss", (v): v is LossSpec => typeof v === "string" || typeof v === "function");
  const weights = perOutput<number>(lossWeights, names, 1, "lossWeights", (v): v is number => typeof v === "number");
  weights.forEach((w) => {
    if (!Number.isFinite(w) || w < 0) throw new RangeError(`lossWeights must be finite and >= 0, got ${w}`);
  });
  let metricSpecs: MetricSpec[][];
  if (metrics === undefined) metricSpecs = names.map(() => []);
  else if (Array.isArray(metrics)) metricSpecs = names.map(() => metrics);
  else metricSpecs = perOutput<MetricSpec[]>(metrics, names, [], "metrics", (v): v is MetricSpec[] => false);
  const ms: Objective["metrics"] = [];
  metricSpecs.forEach((list, i) =>
    list.forEach((spec) => {
      const m = resolveMetric(spec, lossSpecs[i]);
      ms.push({ key: multi ? `${names[i]}_${m.name}` : m.name, output: i, fn: m.fn });
    }),
  );
  const keys = ["loss", ...(multi ? names.map((n) => `${n}_loss`) : []), ...ms.map((m) => m.key)];
  return { names, lossSpecs, lossFns: lossSpecs.map(resolveLoss), lossWeights: weights, metrics: ms, keys };
}

/** [loss, per-output losses (multi only), metrics] for one batch, as a 1-D tensor. */
function objectiveTerms(obj: Objective, ys: tf.Tensor[], outs: tf.Tensor[]): { data: tf.Scalar; terms: tf.Scalar[] } {
  const outLosses = obj.lossFns.map((f, i) => f(ys[i], outs[i]));
  let data = outLosses.length === 1 && obj.lossWeights[0] === 1 ? outLosses[0] : (tf.scalar(0) as tf.Scalar);
  if (!(outLosses.length === 1 && obj.lossWeights[0] === 1)) {
    outLosses.forEach((l, i) => (data = tf.add(data, tf.mul(obj.lossWeights[i], l))));
  }
  const terms = [data, ...(outLosses.length > 1 ? outLosses : []), ...obj.metrics.map((m) => m.fn(ys[m.output], outs[m.output]))];
  return { data, terms };
}

/**
 * Data loss and metrics of `model` on `data` (training: false), in chunks
 * of `batchSize`. Returns logs keyed like `train`'s (loss, metrics).
 */
export async function evaluateModel(
  model: Trainable,
  data: Dataset,
  options: Pick<TrainOptions, "loss" | "lossWeights" | "metrics" | "batchSize"> = {},
): Promise<Logs> {
  const names = outputNamesOf(model, outputCount(model, data));
  const obj = buildObjective(names, options.loss, options.lossWeights, options.metrics);
  const v = evaluateVector(model, obj, data, options.batchSize ?? 1024);
  const values = await v.data();
  v.dispose();
  const logs: Logs = {};
  obj.keys.forEach((k, i) => (logs[k] = values[i]));
  return logs;
}

function evaluateVector(model: Trainable, obj: Objective, data: Dataset, batchSize: number): tf.Tensor1D {
  const n = data.x.shape[0];
  const ys = targetList(data.y, obj.names);
  const chunk = Math.max(1, Math.min(n, Math.max(batchSize, 256)));
  return tf.tidy(() => {
    let acc: tf.Tensor1D | null = null;
    for (let start = 0; start < n; start += chunk) {
      const size = Math.min(chunk, n - start);
      const xb = size === n ? data.x : data.x.slice(start, size);
      const yb = ys.map((y) => (size === n ? y : y.slice(start, size)));
      const { terms } = objectiveTerms(obj, yb, forward(model, xb, false));
      const v = tf.mul(tf.stack(terms), size) as tf.Tensor1D;
      acc = acc ? (tf.add(acc, v) as tf.Tensor1D) : v;
    }
    return tf.div(acc!, n) as tf.Tensor1D;
  });
}

function shufflePermutation(n: number): Int32Array {
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  return perm;
}

type ProgressLike = {
  batch(epoch: number, batch: number, logs: Logs): void;
  epoch(epoch: number, logs: Logs): void;
  done(logs?: Logs): void;
};

function makeProgress(option: TrainOptions["progress"], epochs: number, batchesPerEpoch: number, title: string, metrics: string[]): ProgressLike | null {
  if (option === false) return null;
  try {
    // Loaded lazily so that training works before/without the charts area.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const mod = require("../charts/progress") as { TrainingProgress?: new (o: object) => ProgressLike };
    if (!mod.TrainingProgress) return null;
    return new mod.TrainingProgress({ epochs, batchesPerEpoch, title, metrics });
  } catch {
    return null;
  }
}

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
      return { hint: `sparseCategoricalCrossentropy takes integer class labels of shape [n] or [n,1]; for one-hot targets use loss "categoricalCrossentropy"` };
    }
    return { hint: `sparseCategoricalCrossentropy takes integer class labels of shape [n] or [n,1] (values 0..${k === null ? "K" : k - 1})` };
  }
  if (fitsAfterBatch(y.shape, out)) return "ok";
  if (y.rank === 1 && out.length === 2 && out[1] === 1) return "column";
  const labels = y.rank === out.length - 1 || (y.rank === out.length && y.shape[y.rank - 1] === 1);
  if (labels && k !== null && k > 1 && (loss === "categoricalCrossentropy" || y.dtype === "int32")) {
    return { hint: `these look like integer class labels: use loss "sparseCategoricalCrossentropy", or one-hot encode them (tf.oneHot(labels, ${k}))` };
  }
  if (y.rank === out.length) return { hint: out.length === 2 ? "one column per output unit" : `y must be [n${out.slice(1).map((d) => `,${d ?? "*"}`).join("")}]` };
  return { hint: `y must have rank ${out.length} ([n${out.slice(1).map((d) => `,${d ?? "*"}`).join("")}]); reshape it` };
}

/** Checked, model-shaped data: targets in output order, tensors made here listed in `owned`. */
interface CheckedData {
  x: tf.Tensor;
  ys: tf.Tensor[];
  owned: tf.Tensor[];
}

/**
 * Validate `data` against the model before any work: one row per example
 * everywhere; for LayersModels x against `model.inputs[0].shape` and every
 * target against its output's shape (ignoring the batch axis; sparse
 * losses take [n] / [n, 1] integer labels in 0..K-1). Errors name both
 * shapes, the input/output, and what to do. A parameter set's output shapes
 * are only known after a forward pass: `checkOutputs` checks them before
 * the first step.
 */
async function checkData(model: Trainable, data: Dataset, obj: Objective, what: string): Promise<CheckedData> {
  if (!data || !(data.x instanceof tf.Tensor)) {
    throw new TypeError(`${what}: expected {x: tf.Tensor, y}, got ${data === null ? "null" : typeof data}${data && typeof data === "object" ? ` with x of type ${typeof (data as Dataset).x}` : ""}.`);
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
      throw new Error(`${what}: x has ${n} rows but the target for output '${names[i]}' has ${rows} (x: ${fmt(x.shape)}, y: ${fmt(y.shape)}): x and y need one row per example.`);
    }
  });
  const owned: tf.Tensor[] = [];
  if (!isLayersModel(model)) return { x, ys, owned };
  if (model.inputs.length !== 1) {
    throw new Error(`${what}: train feeds one input tensor x, but the model has ${model.inputs.length} inputs (${model.inputs.map((s) => `'${s.name}'`).join(", ")}).`);
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
    if (fit !== "ok") throw new Error(`${what}: ${yName(i)} has shape ${fmt(y.shape)} but the model's output '${names[i]}' has shape ${fmt(out)}: ${fit.hint}.`);
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
      throw new Error(`${what} holds ${v} at row ${Math.floor(i / Math.max(1, values.length / y.shape[0]))}: sparseCategoricalCrossentropy takes integer class labels 0..${k - 1} (one per output unit).`);
    }
  }
}

/** A parameter set's outputs (computed on one row) against the targets (batch axis ignored). */
function checkOutputs(obj: Objective, ys: tf.Tensor[], outs: tf.Tensor[]): void {
  if (outs.length !== ys.length) throw new Error(`train data: the model returned ${outs.length} outputs but there are ${ys.length} targets (${obj.names.join(", ")}).`);
  outs.forEach((o, i) => {
    const out: Dims = [null, ...o.shape.slice(1)];
    const fit = targetFit(ys[i], out, obj.lossSpecs[i]);
    const yName = obj.names.length === 1 ? "y" : `the target for output '${obj.names[i]}'`;
    if (fit === "column") {
      throw new Error(`train data: ${yName} has shape ${fmt(ys[i].shape)} but the model's output '${obj.names[i]}' has shape ${fmt(out)}: reshape y to [n,1] (y.reshape([-1, 1])).`);
    }
    if (fit !== "ok") throw new Error(`train data: ${yName} has shape ${fmt(ys[i].shape)} but the model's output '${obj.names[i]}' has shape ${fmt(out)}: ${fit.hint}.`);
  });
}

/**
 * Train `model` on `data`. Returns the per-epoch History.
 *
 * @example
 *   const h = await train(mlp({inputs: 2, hidden: [16], outputs: 1, outputActivation: "sigmoid"}),
 *     {x, y}, {epochs: 100, loss: "binaryCrossentropy", optimizer: "adam", learningRate: 0.01,
 *              penalty: l2(1e-3), metrics: ["accuracy"], validationData: test});
 */
export async function train(model: Trainable, data: Dataset, options: TrainOptions = {}): Promise<History> {
  const epochs = options.epochs ?? 10;
  if (!Number.isInteger(epochs) || epochs < 0) throw new RangeError(`epochs must be an integer >= 0, got ${epochs}`);
  const vars = trainableVariables(model);
  if (vars.length === 0) throw new Error("train: the model has no trainable variables.");
  const names = outputNamesOf(model, outputCount(model, data));
  const obj = buildObjective(names, options.loss, options.lossWeights, options.metrics);
  const checked = await checkData(model, data, obj, "train data");
  let val: CheckedData | null = null;
  try {
    if (options.validationData) val = await checkData(model, options.validationData, obj, "validationData");
    return await trainChecked(model, checked, val, obj, names, vars, options);
  } finally {
    tf.dispose([...checked.owned, ...(val?.owned ?? [])]);
  }
}

/** Let timers, I/O and signals (a kernel interrupt) in at least this often; the loop is otherwise synchronous between epochs. */
const YIELD_EVERY_MS = 25;

const macrotask = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));

async function trainChecked(
  model: Trainable,
  checked: CheckedData,
  val: CheckedData | null,
  obj: Objective,
  names: string[],
  vars: tf.Variable[],
  options: TrainOptions,
): Promise<History> {
  const epochs = options.epochs ?? 10;
  const initialEpoch = options.initialEpoch ?? 0;
  const data = { x: checked.x, y: checked.ys };
  const ys = checked.ys;
  const validation: Dataset | null = val ? { x: val.x, y: val.ys } : null;
  const n = data.x.shape[0];
  if (n === 0) throw new Error("train: the data set is empty.");
  const batchSize = Math.min(options.batchSize ?? 32, n);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${options.batchSize}`);
  // A parameter set's output shapes are known only from a forward pass: one
  // row, training false (no dropout draws, so the random stream is as without
  // it), outside any gradient tape (a throw inside tfjs's tape leaks the
  // tensors it saved for the backward pass).
  if (!isLayersModel(model)) {
    tf.tidy(() => checkOutputs(obj, ys, forward(model, data.x.slice(0, 1), false)));
  }
  const batches = Math.ceil(n / batchSize);
  const shuffle = options.shuffle ?? true;

  const penalties = options.penalty === undefined ? [] : Array.isArray(options.penalty) ? options.penalty : [options.penalty];
  const penaltyVars = penalties.map((p) => vars.filter((v) => p.appliesTo(v)));
  const layerLosses = layerLossesOf(model);
  const projections = collectConstraints(model, vars, options.constraints);

  const callbacks = options.callbacks === undefined ? [] : Array.isArray(options.callbacks) ? options.callbacks : [options.callbacks];
  const state: TrainState = { stopTraining: false, epoch: initialEpoch };
  const runner = new CallbackRunner(callbacks, state);
  const target = asTrainableModel(model);
  target.stopTraining = false;
  const params = { epochs, initialEpoch, batchSize, samples: n, steps: batches, shuffle, metrics: obj.keys };
  runner.setModel(model instanceof tf.LayersModel ? model : target, params);
  const history = new History(params);
  const logKeys = [...obj.keys.slice(0, 1), "penalty", "total", ...obj.keys.slice(1)];
  const valKeys = validation ? obj.keys.map((k) => `val_${k}`) : [];
  const progress = makeProgress(options.progress ?? "auto", Math.max(1, epochs), batches, options.title ?? "Training", [...logKeys, ...valKeys]);

  // Pure L2 penalties skip autodiff: their gradient alpha*w is added to the
  // data gradient directly (2 kernels per variable instead of ~10 taped
  // forward/backward ones). Bitwise the same: autodiff computes
  // (alpha/2)*(2w), which equals alpha*w exactly in float32 (scaling by 2 is
  // exact), and the two contributions are summed by one commutative add.
  // Their value, for the logs, is computed outside the tape.
  const fused = penalties.map((p) => p.l1 === 0 && p.l2 > 0);
  const fusedL2 = penalties
    .map((p, i) => ({ l2: p.l2, vars: penaltyVars[i], on: fused[i] }))
    .filter((f) => f.on && f.vars.length > 0);

  // One step: returns [data, penalty, total, per-output..., metrics...] x size.
  const step = (xb: tf.Tensor, yb: tf.Tensor[], size: number): tf.Tensor1D =>
    tf.tidy(() => {
      let terms: tf.Scalar[] = [];
      let taped: Array<tf.Scalar | null> = [];
      let layer: tf.Scalar[] = [];
      // Taped objective: data loss + what autodiff must handle (L1 / elastic net, layer regularizers).
      // The log terms are kept out of the gradient scope and disposed below.
      const objective = (): tf.Scalar => {
        const outs = forward(model, xb, true);
        const o = objectiveTerms(obj, yb, outs);
        terms = o.terms.map((t) => tf.keep(t));
        taped = penalties.map((p, i) => (fused[i] ? null : tf.keep(p.value(penaltyVars[i]))));
        layer = layerLosses().map((l) => tf.keep(l));
        let total = o.data;
        for (const t of [...taped, ...layer]) if (t) total = tf.add(total, t) as tf.Scalar;
        return total;
      };
      const { value, grads } = optimizer.computeGradients(objective, vars);
      // Penalty values at the weights before the update, summed in the same order as the objective (penalties, then layer losses).
      let pen: tf.Scalar = tf.scalar(0);
      penalties.forEach((p, i) => (pen = tf.add(pen, taped[i] ?? p.value(penaltyVars[i])) as tf.Scalar));
      for (const l of layer) pen = tf.add(pen, l) as tf.Scalar;
      for (const f of fusedL2) {
        for (const v of f.vars) {
          const decay = tf.mul(v, f.l2);
          const g = grads[v.name];
          grads[v.name] = g ? tf.add(g, decay) : decay;
        }
      }
      // As optimizer.minimize(f, false, vars) does: gradients in the order of `vars`.
      optimizer.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
      if (projections.length) applyProjections(projections);
      const total = tf.add(terms[0], pen);
      const logs = tf.mul(tf.stack([terms[0], pen, total, ...terms.slice(1)]), size) as tf.Tensor1D;
      const kept = new Set<tf.Tensor>([value, ...terms, ...layer, ...taped.filter((t): t is tf.Scalar => t !== null)]);
      tf.dispose([...kept]);
      return logs;
    });

  // Interrupts (src/runtime/interrupt.ts) are checked after every step, when
  // weights and optimizer state are consistent, and after each yield.
  const checkInterrupt = interruptGuard("training");
  let lastYield = Date.now();
  // Created last, so that every error after it goes through the finally that disposes it.
  const { optimizer, owned } = resolveOptimizer(options.optimizer ?? "sgd", options.learningRate, options.weightDecay);
  let lastLogs: Logs = {};
  try {
    await runner.trainBegin({});
    for (let epoch = initialEpoch; epoch < initialEpoch + epochs; epoch++) {
      state.epoch = epoch;
      const t0 = Date.now();
      await runner.epochBegin(epoch, {});
      const perm = shuffle ? tf.tensor1d(shufflePermutation(n), "int32") : null;
      const xs = perm ? tf.gather(data.x, perm) : data.x;
      const yss = perm ? ys.map((y) => tf.gather(y, perm)) : ys;
      perm?.dispose();
      let acc: tf.Tensor1D | null = null;
      let sums: tf.TypedArray;
      let seen = 0;
      try {
        for (let b = 0; b < batches; b++) {
          const start = b * batchSize;
          const size = Math.min(batchSize, n - start);
          const whole = size === n;
          const xb = whole ? xs : xs.slice(start, size);
          const yb = whole ? yss : yss.map((y) => y.slice(start, size));
          let v: tf.Tensor1D;
          try {
            v = step(xb, yb, size);
          } finally {
            if (!whole) {
              xb.dispose();
              yb.forEach((t) => t.dispose());
            }
          }
          seen += size;
          if (acc) {
            const next = tf.add(acc, v) as tf.Tensor1D;
            acc.dispose();
            v.dispose();
            acc = next;
          } else acc = v;
          if (runner.hasBatchEnd) await runner.batchEnd(b, { batch: b, size });
          progress?.batch(epoch - initialEpoch, b, {});
          checkInterrupt();
          if (Date.now() - lastYield >= YIELD_EVERY_MS) {
            await macrotask();
            lastYield = Date.now();
            checkInterrupt();
          }
          if (state.stopTraining || target.stopTraining) break;
        }
        sums = await acc!.data();
      } finally {
        if (perm) {
          xs.dispose();
          yss.forEach((t) => t.dispose());
        }
        acc?.dispose();
      }
      const logs: Logs = {};
      // Divide by the rows actually seen: a callback may stop in mid-epoch.
      logKeys.forEach((k, i) => (logs[k] = sums[i] / seen));
      if (validation) {
        const vv = evaluateVector(model, obj, validation, batchSize);
        const vals = await vv.data();
        vv.dispose();
        valKeys.forEach((k, i) => (logs[k] = vals[i]));
      }
      await runner.epochEnd(epoch, logs);
      history.record(epoch, logs, Date.now() - t0);
      progress?.epoch(epoch - initialEpoch, logs);
      lastLogs = logs;
      if (state.stopTraining || target.stopTraining) {
        history.stoppedEpoch = epoch;
        break;
      }
    }
  } catch (e) {
    // Interrupted or failed: callbacks still get onTrainEnd, so they release
    // what they hold and leave the weights clean (weight noise is removed,
    // early stopping restores its best snapshot).
    try {
      await runner.trainEnd(lastLogs);
    } catch {
      // the first error is the one to report
    }
    throw e;
  } finally {
    progress?.done(lastLogs);
    if (owned) optimizer.dispose();
  }
  await runner.trainEnd(lastLogs);
  return history;
}
