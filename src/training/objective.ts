/**
 * The objective `train` minimizes and evaluates, compiled once per run from
 * the loss / lossWeights / metrics options:
 *
 *   J = sum_k w_k J_k(y_k, f_k(x))          (data loss over outputs k)
 *
 * plus, in the loop, the weight penalties Omega and any extra terms. Each
 * batch yields the vector [J, J_k (multi-output only)..., metrics...] so that
 * logs accumulate on the device and are read once per epoch.
 */
import * as tf from "@tensorflow/tfjs";
import { resolveLoss, resolveMetric, type LossFn, type LossSpec, type MetricFn, type MetricSpec } from "./losses";
import type { Logs } from "./callbacks";
import { forward, outputNames, targetList } from "./model-adapter";
import type { Dataset, Trainable, TrainOptions } from "./types";

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

/** A per-output option given once, as an array in output order, or keyed by output name. */
function perOutput<T>(
  spec: T | T[] | Record<string, T> | undefined,
  names: string[],
  fallback: T,
  what: string,
  isSingle: (v: unknown) => v is T,
): T[] {
  if (spec === undefined) return names.map(() => fallback);
  if (isSingle(spec)) return names.map(() => spec);
  if (Array.isArray(spec)) {
    if (spec.length !== names.length) throw new Error(`${what}: ${spec.length} values for ${names.length} outputs (${names.join(", ")}).`);
    return spec;
  }
  const rec = spec as Record<string, T>;
  for (const k of Object.keys(rec))
    if (!names.includes(k)) throw new Error(`${what}: unknown output "${k}" (outputs: ${names.join(", ")}).`);
  return names.map((n) => (n in rec ? rec[n] : fallback));
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

/** The weighted data loss J and its per-output parts. */
export function dataLoss(obj: Objective, ys: tf.Tensor[], outs: tf.Tensor[]): { data: tf.Scalar; perOutput: tf.Scalar[] } {
  const perOutput = obj.lossFns.map((f, i) => f(ys[i], outs[i]));
  if (perOutput.length === 1 && obj.lossWeights[0] === 1) return { data: perOutput[0], perOutput };
  let data = tf.scalar(0) as tf.Scalar;
  perOutput.forEach((l, i) => (data = tf.add(data, tf.mul(obj.lossWeights[i], l))));
  return { data, perOutput };
}

/** [J, per-output losses (multi only), metrics] for one batch. */
export function objectiveTerms(obj: Objective, ys: tf.Tensor[], outs: tf.Tensor[]): { data: tf.Scalar; terms: tf.Scalar[] } {
  const { data, perOutput } = dataLoss(obj, ys, outs);
  const terms = [data, ...(perOutput.length > 1 ? perOutput : []), ...obj.metrics.map((m) => m.fn(ys[m.output], outs[m.output]))];
  return { data, terms };
}

/** The objective's vector on `data` (training: false), batch-size-weighted over chunks. */
export function evaluateVector(model: Trainable, obj: Objective, data: Dataset, batchSize: number): tf.Tensor1D {
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

/**
 * Data loss and metrics of `model` on `data` (training: false), in chunks
 * of `batchSize`. Returns logs keyed like `train`'s (loss, metrics).
 */
export async function evaluateModel(
  model: Trainable,
  data: Dataset,
  options: Pick<TrainOptions, "loss" | "lossWeights" | "metrics" | "batchSize"> = {},
): Promise<Logs> {
  const obj = buildObjective(outputNames(model, data.y), options.loss, options.lossWeights, options.metrics);
  const v = evaluateVector(model, obj, data, options.batchSize ?? 1024);
  const values = await v.data();
  v.dispose();
  const logs: Logs = {};
  obj.keys.forEach((k, i) => (logs[k] = values[i]));
  return logs;
}
