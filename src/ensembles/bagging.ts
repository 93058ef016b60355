/**
 * Bagging (bootstrap aggregating; Breiman 1996; Deep Learning book 7.11)
 * and ways to combine member predictions.
 *
 * Each of k members is trained on its own bootstrap sample of the training
 * set (n draws with replacement, ~63.2% distinct rows), so members differ
 * in data, initialization and minibatch order; their errors are partly
 * uncorrelated and averaging cancels part of them (see
 * `ensembleErrorAnalysis`).
 *
 * Combination rules, for members' class probabilities p_i(y | x):
 *   predictProba      (1/k) sum_i p_i                 arithmetic mean
 *   predictGeometric  prod_i p_i^(1/k), renormalized over classes
 *                     (the rule dropout approximates, book 7.56-7.58)
 *   predictVote       the class most members pick (ties: lowest class index)
 * A single sigmoid output unit is treated as two classes (1 - p, p). For
 * regression, `predictProba` is the mean prediction.
 */
import * as tf from "@tensorflow/tfjs";
import { bootstrap, type BootstrapSample } from "./bootstrap";
import { train, type Trainable, type Dataset, type Targets, type TrainOptions } from "../training/train";
import type { History } from "../training/history";
import { rng as makeRng } from "../random/seed";
import { interruptGuard } from "../runtime/interrupt";

function forward(model: Trainable, x: tf.Tensor): tf.Tensor {
  const out = model instanceof tf.LayersModel ? model.predict(x) : model.predict(x, false);
  if (Array.isArray(out)) throw new Error("Ensemble: members must have a single output");
  return out;
}

/** Member outputs as class probabilities [n, K] (a single sigmoid unit becomes [1 - p, p]). */
function asClassProbs(p: tf.Tensor): tf.Tensor {
  if (p.rank === 1) p = p.expandDims(1);
  if (p.shape[p.rank - 1] === 1) return tf.concat([tf.sub(1, p), p], -1);
  return p;
}

/** A set of trained models whose predictions are combined. */
export class Ensemble {
  constructor(
    readonly members: Trainable[],
    /** Training history of each member (empty when built from ready models). */
    readonly histories: History[] = [],
    /** Bootstrap sample of each member (empty when built from ready models). */
    readonly samples: BootstrapSample[] = [],
  ) {
    if (members.length === 0) throw new Error("Ensemble: needs at least one member");
  }

  get size(): number {
    return this.members.length;
  }

  /** Every member's output stacked: [k, ...output shape]. */
  memberPredictions(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.stack(this.members.map((m) => forward(m, x))));
  }

  /** Arithmetic mean of the members' outputs (probabilities, or values for regression). */
  predictProba(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.mean(this.memberPredictions(x), 0));
  }

  /** Renormalized geometric mean of the members' class probabilities, [n, K]. */
  predictGeometric(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const logs = this.members.map((m) => tf.log(tf.clipByValue(asClassProbs(forward(m, x)), 1e-30, 1)));
      const meanLog = tf.mean(tf.stack(logs), 0);
      return tf.softmax(meanLog); // exp(meanLog) / sum exp(meanLog)
    });
  }

  /** Majority vote over members' predicted classes: int32 labels [n]. */
  predictVote(x: tf.Tensor): tf.Tensor1D {
    return tf.tidy(() => {
      const votes = this.members.map((m) => {
        const p = asClassProbs(forward(m, x));
        return tf.oneHot(tf.argMax(p, -1), p.shape[p.rank - 1]);
      });
      // argMax returns the first maximum: ties go to the lowest class index.
      return tf.argMax(tf.sum(tf.stack(votes), 0), -1) as tf.Tensor1D;
    });
  }

  /** Dispose the members' weights (LayersModels and parameter sets). */
  dispose(): void {
    for (const m of this.members) disposeModel(m);
  }
}

export interface BaggingOptions extends TrainOptions {
  /** Number of members k. Default 10. */
  members?: number;
  /** Seed for the bootstrap samples; default: drawn from the global stream. */
  seed?: number;
  /** Draw bootstrap samples (default true); false trains every member on all data (an ensemble of restarts). */
  resample?: boolean;
}

function gatherTargets(y: Targets, idx: tf.Tensor1D): Targets {
  if (y instanceof tf.Tensor) return tf.gather(y, idx);
  if (Array.isArray(y)) return y.map((t) => tf.gather(t, idx));
  return Object.fromEntries(Object.entries(y).map(([k, t]) => [k, tf.gather(t, idx)]));
}

function disposeTargets(y: Targets): void {
  if (y instanceof tf.Tensor) y.dispose();
  else tf.dispose(Array.isArray(y) ? y : Object.values(y));
}

function disposeModel(m: Trainable): void {
  if (m instanceof tf.LayersModel) m.dispose();
  else tf.dispose(m.params);
}

/**
 * Train k members with `train`, each on its own bootstrap sample, and
 * return them as an Ensemble. `makeModel(i)` builds a fresh model for
 * member i (call `mlp(...)` or your own builder); all other options are
 * passed to `train`.
 *
 * A kernel interrupt (src/runtime/interrupt.ts) stops it between members
 * (and `train` within a member) with an InterruptedError; the members built
 * so far are disposed, since no ensemble is returned.
 *
 * @example const ens = await bagging(() => mlp({inputs: 2, hidden: [32], outputs: 2, outputActivation: "softmax"}),
 *   {x, y}, {members: 10, epochs: 100, loss: "categoricalCrossentropy", optimizer: "adam", learningRate: 0.01})
 */
export async function bagging(makeModel: (member: number) => Trainable, data: Dataset, options: BaggingOptions = {}): Promise<Ensemble> {
  const { members: k = 10, seed, resample = true, ...trainOptions } = options;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`bagging: members must be a positive integer, got ${k}`);
  if (!data || !(data.x instanceof tf.Tensor)) throw new TypeError("bagging: data must be {x: tf.Tensor, y}");
  const n = data.x.shape[0];
  const r = makeRng(seed);
  const models: Trainable[] = [];
  const histories: History[] = [];
  const samples: BootstrapSample[] = [];
  const checkInterrupt = interruptGuard("bagging");
  let model: Trainable | null = null;
  try {
    for (let i = 0; i < k; i++) {
      checkInterrupt();
      const sample = resample ? bootstrap(n, { rng: r }) : null;
      model = makeModel(i);
      let member: Dataset = data;
      if (sample) {
        const idx = tf.tensor1d(sample.indices, "int32");
        member = { x: tf.gather(data.x, idx), y: gatherTargets(data.y, idx) };
        idx.dispose();
      }
      try {
        histories.push(await train(model, member, { title: `Member ${i + 1}/${k}`, ...trainOptions }));
      } finally {
        if (sample) {
          member.x.dispose();
          disposeTargets(member.y);
        }
      }
      models.push(model);
      model = null;
      if (sample) samples.push(sample);
    }
  } catch (e) {
    // No ensemble will hold them: release the members' weights.
    for (const m of model ? [...models, model] : models) disposeModel(m);
    throw e;
  }
  return new Ensemble(models, histories, samples);
}
