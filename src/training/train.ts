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
 * - the model runs with `training: true`, so dropout is active.
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
  return { names, lossFns: lossSpecs.map(resolveLoss), lossWeights: weights, metrics: ms, keys };
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

function checkData(data: Dataset, names: string[], what: string): tf.Tensor[] {
  if (!data || !(data.x instanceof tf.Tensor)) throw new TypeError(`${what}: expected {x: tf.Tensor, y}, got ${typeof data}`);
  const ys = targetList(data.y, names);
  const n = data.x.shape[0];
  ys.forEach((y, i) => {
    if (y.shape[0] !== n) throw new Error(`${what}: x has ${n} rows but the target for "${names[i]}" has ${y.shape[0]}.`);
  });
  return ys;
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
  const initialEpoch = options.initialEpoch ?? 0;
  const vars = trainableVariables(model);
  if (vars.length === 0) throw new Error("train: the model has no trainable variables.");
  const names = outputNamesOf(model, outputCount(model, data));
  const obj = buildObjective(names, options.loss, options.lossWeights, options.metrics);
  const ys = checkData(data, names, "train data");
  if (options.validationData) checkData(options.validationData, names, "validationData");
  const n = data.x.shape[0];
  if (n === 0) throw new Error("train: the data set is empty.");
  const batchSize = Math.min(options.batchSize ?? 32, n);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${options.batchSize}`);
  const batches = Math.ceil(n / batchSize);
  const shuffle = options.shuffle ?? true;
  const { optimizer, owned } = resolveOptimizer(options.optimizer ?? "sgd", options.learningRate, options.weightDecay);

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
  const valKeys = options.validationData ? obj.keys.map((k) => `val_${k}`) : [];
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

  await runner.trainBegin({});
  let lastLogs: Logs = {};
  try {
    for (let epoch = initialEpoch; epoch < initialEpoch + epochs; epoch++) {
      state.epoch = epoch;
      const t0 = Date.now();
      await runner.epochBegin(epoch, {});
      const perm = shuffle ? tf.tensor1d(shufflePermutation(n), "int32") : null;
      const xs = perm ? tf.gather(data.x, perm) : data.x;
      const yss = perm ? ys.map((y) => tf.gather(y, perm)) : ys;
      perm?.dispose();
      let acc: tf.Tensor1D | null = null;
      let seen = 0;
      for (let b = 0; b < batches; b++) {
        const start = b * batchSize;
        const size = Math.min(batchSize, n - start);
        const whole = size === n;
        const xb = whole ? xs : xs.slice(start, size);
        const yb = whole ? yss : yss.map((y) => y.slice(start, size));
        const v = step(xb, yb, size);
        seen += size;
        if (!whole) {
          xb.dispose();
          yb.forEach((t) => t.dispose());
        }
        if (acc) {
          const next = tf.add(acc, v) as tf.Tensor1D;
          acc.dispose();
          v.dispose();
          acc = next;
        } else acc = v;
        if (runner.hasBatchEnd) await runner.batchEnd(b, { batch: b, size });
        progress?.batch(epoch - initialEpoch, b, {});
        if (state.stopTraining || target.stopTraining) break;
      }
      if (perm) {
        xs.dispose();
        yss.forEach((t) => t.dispose());
      }
      const sums = await acc!.data();
      acc!.dispose();
      const logs: Logs = {};
      // Divide by the rows actually seen: a callback may stop in mid-epoch.
      logKeys.forEach((k, i) => (logs[k] = sums[i] / seen));
      if (options.validationData) {
        const vv = evaluateVector(model, obj, options.validationData, batchSize);
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
  } finally {
    progress?.done(lastLogs);
    if (owned) optimizer.dispose();
  }
  await runner.trainEnd(lastLogs);
  return history;
}
