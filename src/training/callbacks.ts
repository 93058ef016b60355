/**
 * Callbacks for `train`, Keras-like and compatible with tfjs `model.fit`.
 *
 * Hooks: onTrainBegin, onEpochBegin, onBatchBegin, onBatchEnd, onEpochEnd,
 * onTrainEnd; any may be async. Epoch indices are 0-based (as in tfjs and Keras). Epoch logs
 * hold every number of the epoch (loss, penalty, total, metrics, val_*);
 * batch logs hold only {batch, size}: reading a loss after every batch would
 * force a device sync per step and make training slower than `fit`.
 *
 * Stopping: set `state.stopTraining = true` (the last argument of every
 * hook), or `this.model.stopTraining = true` as in tfjs (the model is given
 * through `setModel`, as `fit` does; for from-scratch parameter sets it is a
 * small `TrainableModel` wrapper with getWeights/setWeights).
 */
import * as tf from "@tensorflow/tfjs";

export type Logs = Record<string, number>;

/** Shared mutable state handed to every hook. */
export interface TrainState {
  stopTraining: boolean;
  /** The epoch in progress (0-based). */
  epoch: number;
}

/** What `setModel` receives: a tfjs LayersModel or a wrapper with the same few members. */
export interface TrainableModel {
  stopTraining: boolean;
  /** Live references to all weights (as tfjs): clone them to keep a snapshot. */
  getWeights(): tf.Tensor[];
  /** Copy values into the weights (shapes must match). */
  setWeights(weights: tf.Tensor[]): void;
}

type MaybePromise = void | Promise<void>;

export interface TrainCallback {
  // The model argument is `unknown` so that tfjs Callback objects (which
  // type it as a LayersModel) are assignable.
  setModel?(model: never): void;
  setParams?(params: never): void;
  onTrainBegin?(logs?: Logs, state?: TrainState): MaybePromise;
  onEpochBegin?(epoch: number, logs?: Logs, state?: TrainState): MaybePromise;
  onBatchBegin?(batch: number, logs?: Logs, state?: TrainState): MaybePromise;
  onBatchEnd?(batch: number, logs?: Logs, state?: TrainState): MaybePromise;
  onEpochEnd?(epoch: number, logs?: Logs, state?: TrainState): MaybePromise;
  onTrainEnd?(logs?: Logs, state?: TrainState): MaybePromise;
}

/** Calls every callback's hook in order, awaiting each. */
export class CallbackRunner {
  readonly hasBatchBegin: boolean;
  readonly hasBatchEnd: boolean;
  constructor(
    private readonly callbacks: TrainCallback[],
    readonly state: TrainState,
  ) {
    this.hasBatchBegin = callbacks.some((c) => typeof c.onBatchBegin === "function");
    this.hasBatchEnd = callbacks.some((c) => typeof c.onBatchEnd === "function");
  }

  setModel(model: unknown, params: Record<string, unknown>): void {
    for (const c of this.callbacks) {
      // setModel/setParams are typed for tfjs models; ours pass the wrapper too.
      try {
        (c.setModel as ((m: unknown) => void) | undefined)?.call(c, model);
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        throw new Error(
          `A callback rejected the model (${msg}).` +
          ` tfjs's own callbacks need a tf.LayersModel; use reglab's earlyStopping with parameter sets.`,
        );
      }
      (c.setParams as ((p: unknown) => void) | undefined)?.call(c, params);
    }
  }

  async trainBegin(logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onTrainBegin?.(logs, this.state);
  }
  async epochBegin(epoch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onEpochBegin?.(epoch, logs, this.state);
  }
  async batchBegin(batch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onBatchBegin?.(batch, logs, this.state);
  }
  async batchEnd(batch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onBatchEnd?.(batch, logs, this.state);
  }
  async epochEnd(epoch: number, logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onEpochEnd?.(epoch, logs, this.state);
  }
  async trainEnd(logs: Logs): Promise<void> {
    for (const c of this.callbacks) await c.onTrainEnd?.(logs, this.state);
  }
}
