/**
 * The shapes `train` works with: models, data, options, and the two
 * extension points other modules plug into (a batch transform for
 * augmentation, and extra objective terms such as adversarial or
 * semi-supervised losses).
 */
import type * as tf from "@tensorflow/tfjs";
import type { LossSpec, MetricSpec } from "./losses";
import type { TrainCallback } from "./callbacks";
import type { OptimizerName } from "./optimizers";
import type { ConstraintSpec } from "../regularizers/constraints";
import type { AdversarialTrainingOptions } from "../regularizers/adversarial";
import type { SemiSupervisedOptions, UnlabeledData } from "../regularizers/semi-supervised";

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

/**
 * A penalty on weights, Omega(w), added to the objective: `appliesTo` picks
 * the variables it sees, `value` computes it from them (on the tape).
 * `NormPenalty` (l1, l2, elasticNet) is one; a tying penalty is another.
 */
export interface WeightPenalty {
  appliesTo(v: { name: string; shape: number[] }): boolean;
  value(weights: tf.Tensor[]): tf.Scalar;
}

/** One training batch of a single-output model, as a batch transform sees it. */
export interface TrainBatch {
  x: tf.Tensor;
  y: tf.Tensor;
}

/**
 * A transform of every training batch (augmentation): called inside the
 * step's tidy, never on validation data. It must keep the row count; it may
 * change x's values (and y's, e.g. mixup), not the model-facing shapes.
 */
export type BatchTransform = (batch: TrainBatch) => TrainBatch;

/** What an objective term sees during one step (all tensors are on the gradient tape). */
export interface StepContext<S = unknown> {
  model: Trainable;
  /** The batch after `augment`: inputs and targets in output order. */
  x: tf.Tensor;
  ys: tf.Tensor[];
  /** The model's outputs on x in training mode. */
  outputs: tf.Tensor[];
  /** The data loss J on this batch (weighted over outputs). */
  dataLoss: tf.Scalar;
  /** J for other inputs or targets, with the same loss functions and output weights. */
  loss(ys: tf.Tensor[], outputs: tf.Tensor[]): tf.Scalar;
  /** The model's outputs on other inputs. */
  forward(x: tf.Tensor, training: boolean): tf.Tensor[];
  /** What `prepare` returned for this step. */
  prepared: S;
  /** 0-based epoch, the run's number of epochs, and the global step count so far. */
  epoch: number;
  epochs: number;
  step: number;
}

/** What `prepare` sees: the step's batch, before any gradient is recorded. */
export type PrepareContext = Omit<StepContext<never>, "outputs" | "dataLoss" | "prepared">;

/**
 * An extra term of the minimized objective, reported in the history under
 * its own `name` (an epoch's value is the batch-size-weighted mean, like the
 * data loss). The objective of a step is
 *   total = dataWeight * J + Omega(weights) + sum_terms value.
 */
export interface ObjectiveTerm<S = unknown> {
  readonly name: string;
  /** Weight of the data loss J when this term is used (adversarial training: 1 - w). Default 1. */
  readonly dataWeight?: number;
  /** Checks against the model and data before any step (throw a clear error here). */
  setup?(model: Trainable, data: Dataset): void;
  /** Work outside the gradient tape, inside the step's tidy (an adversarial example, an unlabelled batch). */
  prepare?(ctx: PrepareContext): S;
  /** The term's value on the tape: its gradient flows into the update. */
  value(ctx: StepContext<S>): tf.Scalar;
  /** Releases what `setup` made (called when training ends, also on errors). */
  teardown?(): void;
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
  /** Weight penalties added to the objective (norm penalties: kernels only unless they say otherwise). */
  penalty?: WeightPenalty | WeightPenalty[];
  /** Projections applied after every update (in addition to the layers' own constraints). */
  constraints?: ConstraintSpec | ConstraintSpec[];
  /** A transform applied to every training batch (augmentation; single-output models). */
  augment?: BatchTransform;
  /** Extra objective terms (adversarial, semi-supervised, activity penalties, tangent prop). */
  terms?: ObjectiveTerm | ObjectiveTerm[];
  /** Adversarial training, (1 - w) J(x) + w J(x_adv): shorthand for the term `adversarialTraining(...)`. */
  adversarial?: AdversarialTrainingOptions;
  /** Unlabelled inputs for `semiSupervised`. */
  unlabeled?: UnlabeledData;
  /** Pseudo-labels, Pi-model consistency or entropy minimization on `unlabeled`: shorthand for `semiSupervisedTerm(...)`. */
  semiSupervised?: SemiSupervisedOptions;
  callbacks?: TrainCallback | TrainCallback[];
  /** Shuffle rows every epoch (seeded through Math.random). Default true. */
  shuffle?: boolean;
  /** Live progress ("auto": in a notebook). Default "auto". */
  progress?: "auto" | boolean;
  /** Title of the progress display. */
  title?: string;
  /** Index of the first epoch (to continue a run). Default 0. */
  initialEpoch?: number;
  /**
   * Faster equivalents where they apply (default true): the hand-derived step
   * for mlp()-shaped models (dense-chain.ts) and the one-kernel update of a
   * tf.train.adam (src/kernels/adam.ts). false, or either part false: autodiff
   * and tfjs's own update (for checks and A/B benchmarks).
   */
  fastPath?: boolean | { denseChain?: boolean; fusedAdam?: boolean };
}
