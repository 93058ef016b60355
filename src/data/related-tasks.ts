/**
 * A family of related regression tasks for multitask learning (Deep
 * Learning book 7.7, Fig. 7.2; Caruana 1997): every task's target is a
 * linear read-out of the same low-dimensional representation of the input,
 *
 *   z = A x            (or tanh(A x) with `nonlinear: true`),  A: [latent, inputs]
 *   y_t = v_t . z + N(0, noise^2)                              for t = 1..tasks
 *
 * with x ~ N(0, I), A_ij ~ N(0, 1/inputs) (so z_j has unit variance) and
 * v_t ~ N(0, I). The family (A and the v_t) is drawn once; `sample(n)` then
 * draws n rows whose inputs are shared by all tasks, one target column per
 * task, keyed by task name ("task1", "task2", ...) as `multitaskModel` and
 * `train` expect. The Bayes risk of every task is noise^2.
 */
import * as tf from "@tensorflow/tfjs";
import { checkCount, checkedOptions, makeRng } from "./types";

export interface RelatedTasksOptions {
  /** Number of tasks. Default 8. */
  tasks?: number;
  /** Input features. Default 8. */
  inputs?: number;
  /** Dimension of the shared representation z. Default 2. */
  latent?: number;
  /** Std of each target's noise. Default 0.3. */
  noise?: number;
  /** z = tanh(A x) instead of A x. Default false. */
  nonlinear?: boolean;
  /** Seed of the family (A, v_t); default: drawn from the global stream. */
  seed?: number;
}

export interface MultitaskSample {
  /** [n, inputs], shared by all tasks. */
  x: tf.Tensor2D;
  /** One [n, 1] target per task, keyed by task name. */
  y: Record<string, tf.Tensor2D>;
  /** Dispose x and every target. */
  dispose(): void;
}

export interface TaskFamily {
  /** Task names: "task1", "task2", ... */
  names: string[];
  /** The shared map, [latent][inputs]. */
  A: number[][];
  /** Each task's read-out weights, [tasks][latent]. */
  V: number[][];
  noise: number;
  /** n rows of every task; `seed` fixes the draw (default: from the global stream). */
  sample(n: number, seed?: number): MultitaskSample;
}

export function relatedTasks(options: RelatedTasksOptions = {}): TaskFamily {
  const { tasks: T, inputs: d, latent: k, noise } = checkedOptions("relatedTasks", options, { tasks: 8, inputs: 8, latent: 2 }, 0.3);
  const r = makeRng(options.seed);
  const A = Array.from({ length: k }, () => Array.from({ length: d }, () => r.normal(0, 1 / Math.sqrt(d))));
  const V = Array.from({ length: T }, () => Array.from({ length: k }, () => r.normal()));
  const names = Array.from({ length: T }, (_, t) => `task${t + 1}`);
  const squash = options.nonlinear ? Math.tanh : (u: number) => u;
  const sample = (n: number, seedValue?: number): MultitaskSample => {
    checkCount("relatedTasks.sample: n", n);
    const s = makeRng(seedValue);
    const xs = new Float32Array(n * d);
    const ys = names.map(() => new Float32Array(n));
    for (let i = 0; i < n; i++) {
      const x = Array.from({ length: d }, () => s.normal());
      xs.set(x, i * d);
      const z = A.map((row) => squash(row.reduce((acc, a, j) => acc + a * x[j], 0)));
      V.forEach((v, t) => (ys[t][i] = v.reduce((acc, vj, j) => acc + vj * z[j], 0) + s.normal(0, noise)));
    }
    const y: Record<string, tf.Tensor2D> = {};
    names.forEach((name, t) => (y[name] = tf.tensor2d(ys[t], [n, 1])));
    const x = tf.tensor2d(xs, [n, d]);
    return { x, y, dispose: () => tf.dispose([x, ...Object.values(y)]) };
  };
  return { names, A, V, noise, sample };
}
