/**
 * Multitask learning with hard parameter sharing (Deep Learning book 7.7;
 * Caruana 1997).
 *
 *   x -> shared trunk h = f_shared(x) -> head_t(h) = y_t   for every task t
 *
 * The trunk's parameters get gradient from every task, the heads only from
 * their own. The objective is a weighted sum of per-task losses
 *
 *   J = sum_t lambda_t J_t(y_t, head_t(h(x)))
 *
 * which `train` computes for a multi-output model with `loss` and
 * `lossWeights` keyed by task name (tfjs `fit` silently ignores
 * `lossWeights`). A task with lambda_t = 0 leaves its head untouched. When the
 * tasks are related (they share an underlying representation) and each has
 * few examples, the trunk is learned from all tasks' labels at once and
 * generalizes better than independent models (`independentModels`, each
 * with its own copy of the same architecture trained on one task).
 *
 * Layer names: trunk "shared_1", "shared_2", ...; head layers
 * "<task>_hidden_1", ..., and the output layer is named by the task, so
 * `model.outputNames` are the task names.
 */
import * as tf from "@tensorflow/tfjs";
import { rng } from "../random/seed";
import type { Dataset, TrainOptions } from "../training/train";
import { train } from "../training/train";
import type { History } from "../training/history";

type ActivationId = NonNullable<Parameters<typeof tf.layers.dense>[0]["activation"]>;

export interface TaskHead {
  /** Task name: the output's name (a valid layer name: letters, digits, _). */
  name: string;
  /** Output units (1 for regression or binary, K for K-class softmax). */
  units: number;
  /** Output activation. Default "linear". */
  activation?: ActivationId;
  /** Task-specific hidden layers between the trunk and the output. Default none. */
  hidden?: number[];
}

export interface MultitaskOptions {
  /** Number of input features. */
  inputs: number;
  /** Units of each shared trunk layer (may be empty: heads on the raw input). */
  shared: number[];
  /** One head per task. */
  heads: TaskHead[];
  /** Hidden activation of trunk and head hidden layers. Default "relu". */
  activation?: ActivationId;
  /** Seed for the initializers; default: drawn from the global stream (see seed(n)). */
  seed?: number;
  /** Model name. */
  name?: string;
}

function check(options: MultitaskOptions): void {
  const { inputs, shared, heads } = options;
  if (!Number.isInteger(inputs) || inputs < 1) throw new RangeError(`multitaskModel: inputs must be a positive integer, got ${inputs}`);
  if (!Array.isArray(shared) || shared.some((u) => !Number.isInteger(u) || u < 1)) {
    throw new RangeError(`multitaskModel: shared must be an array of positive integers, got ${JSON.stringify(shared)}`);
  }
  if (!Array.isArray(heads) || heads.length === 0) throw new Error("multitaskModel: give at least one head {name, units}");
  const seen = new Set<string>();
  for (const h of heads) {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(h.name ?? "")) {
      throw new Error(`multitaskModel: task name "${h.name}" must start with a letter and use only letters, digits and _`);
    }
    if (/^shared_\d+$/.test(h.name)) throw new Error(`multitaskModel: task name "${h.name}" clashes with the trunk's layer names`);
    if (seen.has(h.name)) throw new Error(`multitaskModel: duplicate task name "${h.name}"`);
    seen.add(h.name);
    if (!Number.isInteger(h.units) || h.units < 1)
      throw new RangeError(`multitaskModel: head "${h.name}" needs units >= 1, got ${h.units}`);
    if (h.hidden && h.hidden.some((u) => !Number.isInteger(u) || u < 1)) {
      throw new RangeError(`multitaskModel: head "${h.name}" hidden must be positive integers, got ${JSON.stringify(h.hidden)}`);
    }
  }
}

function denseFactory(seedValue: number | undefined) {
  const r = rng(seedValue);
  return (name: string, units: number, activation: ActivationId) =>
    tf.layers.dense({
      name,
      units,
      activation,
      kernelInitializer: tf.initializers.glorotUniform({ seed: r.seed() }),
      biasInitializer: "zeros",
    });
}

/**
 * A functional model with a shared trunk and one output per task.
 *
 * @example multitaskModel({inputs: 10, shared: [32], heads: [{name: "price", units: 1},
 *   {name: "kind", units: 3, activation: "softmax"}]})
 */
export function multitaskModel(options: MultitaskOptions): tf.LayersModel {
  check(options);
  const dense = denseFactory(options.seed);
  const act = options.activation ?? "relu";
  const input = tf.input({ shape: [options.inputs], name: "input" });
  let h: tf.SymbolicTensor = input;
  options.shared.forEach((u, i) => (h = dense(`shared_${i + 1}`, u, act).apply(h) as tf.SymbolicTensor));
  const outputs = options.heads.map((head) => {
    let t = h;
    (head.hidden ?? []).forEach((u, i) => (t = dense(`${head.name}_hidden_${i + 1}`, u, act).apply(t) as tf.SymbolicTensor));
    return dense(head.name, head.units, head.activation ?? "linear").apply(t) as tf.SymbolicTensor;
  });
  return tf.model({ inputs: input, outputs, name: options.name ?? "multitask" });
}

/**
 * The baseline: one model per task, each with its own trunk of the same
 * shape as the shared one, keyed by task name. Train each on its task only
 * (`trainIndependent`).
 */
export function independentModels(options: MultitaskOptions): Record<string, tf.LayersModel> {
  check(options);
  const r = rng(options.seed);
  const out: Record<string, tf.LayersModel> = {};
  for (const head of options.heads) {
    out[head.name] = multitaskModel({ ...options, heads: [head], seed: r.seed(), name: `independent_${head.name}` });
  }
  return out;
}

/** Pick one task's entry of a per-task option (a record keyed by task, or one value for all). */
function forTask<T>(spec: T | Record<string, T> | undefined, task: string, isRecord: boolean): T | undefined {
  if (spec === undefined) return undefined;
  return isRecord ? (spec as Record<string, T>)[task] : (spec as T);
}

/**
 * Train independent models, each on its own task's targets `data.y[task]`,
 * with that task's loss and metrics. `lossWeights` does not apply (one task
 * per model). Returns the histories keyed by task.
 */
export async function trainIndependent(
  models: Record<string, tf.LayersModel>,
  data: { x: tf.Tensor; y: Record<string, tf.Tensor> },
  options: TrainOptions = {},
): Promise<Record<string, History>> {
  const { loss, metrics, validationData, lossWeights: _ignored, ...rest } = options;
  const lossIsRecord = loss !== undefined && typeof loss === "object" && !Array.isArray(loss);
  const metricsIsRecord = metrics !== undefined && !Array.isArray(metrics);
  const histories: Record<string, History> = {};
  for (const [task, model] of Object.entries(models)) {
    const y = data.y[task];
    if (!y) throw new Error(`trainIndependent: data.y has no targets for task "${task}" (keys: ${Object.keys(data.y).join(", ")})`);
    let val: Dataset | undefined;
    if (validationData) {
      const vy = (validationData.y as Record<string, tf.Tensor>)[task];
      if (!vy) throw new Error(`trainIndependent: validationData.y has no targets for task "${task}"`);
      val = { x: validationData.x, y: vy };
    }
    histories[task] = await train(
      model,
      { x: data.x, y },
      {
        ...rest,
        loss: forTask(loss as TrainOptions["loss"], task, lossIsRecord) as TrainOptions["loss"],
        metrics: forTask(metrics as TrainOptions["metrics"], task, metricsIsRecord) as TrainOptions["metrics"],
        validationData: val,
        title: `${rest.title ?? "Independent"}: ${task}`,
      },
    );
  }
  return histories;
}

/** The name for the hard-sharing builder: `multitask(options)` is `multitaskModel(options)`. */
export const multitask = multitaskModel;
