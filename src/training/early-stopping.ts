/**
 * Early stopping (book sec. 7.8, Algorithm 7.1) as a callback for `train`
 * and tfjs `model.fit`, plus the book's two ways of then using the
 * validation data for training: Algorithm 7.2 (`retrainOnAll`) and
 * Algorithm 7.3 (`continueOnAll`).
 *
 * Semantics follow Keras 3's EarlyStopping: after each epoch (0-based) from
 * `startFromEpoch` on, the monitored value improves when it beats the best
 * so far by more than `minDelta` (smaller in mode "min", larger in "max";
 * "auto" = "max" for names containing "acc", else "min"). `wait` counts
 * epochs since the last improvement (an improvement that does not also beat
 * `baseline` does not reset it); training stops when wait >= patience.
 *
 * `restoreBestWeights`: a CLONED snapshot of all weights is taken at the end
 * of every improving epoch (tfjs's `getWeights()` returns live variables, and
 * its own callback throws on this option), and copied back when training
 * ends, stopped or not. Snapshots are disposed when replaced and at the end.
 */
import * as tf from "@tensorflow/tfjs";
import type { Logs, TrainableModel, TrainState } from "./callbacks";
import { evaluateModel, outputNames, targetList, train, type Dataset, type Trainable, type TrainOptions } from "./train";
import type { History } from "./history";
import { resolveOptimizer } from "./optimizers";

export interface EarlyStoppingOptions {
  /** Logged quantity to watch. Default "val_loss". */
  monitor?: string;
  /** Epochs without improvement before stopping. Default 0. */
  patience?: number;
  /** Minimum change that counts as an improvement. Default 0. */
  minDelta?: number;
  mode?: "min" | "max" | "auto";
  /** Training must beat this value to reset the patience counter. */
  baseline?: number;
  /** Epochs before this one are ignored (warm-up). Default 0. */
  startFromEpoch?: number;
  /** Copy the best epoch's weights back at the end. Default false. */
  restoreBestWeights?: boolean;
  /** Print a line when stopping / restoring. Default false. */
  verbose?: boolean;
}

type LogValue = number | tf.Tensor | undefined;

async function scalarOf(v: LogValue): Promise<number | undefined> {
  if (v === undefined) return undefined;
  if (v instanceof tf.Tensor) return (await v.data())[0];
  return v;
}

export class EarlyStopping extends tf.Callback {
  readonly monitor: string;
  readonly patience: number;
  readonly minDelta: number;
  readonly mode: "min" | "max";
  readonly baseline: number | undefined;
  readonly startFromEpoch: number;
  readonly restoreBestWeights: boolean;
  readonly verbose: boolean;
  /** Best monitored value so far. */
  best = NaN;
  /** Epoch (0-based) of the best value, or -1. */
  bestEpoch = -1;
  /** Epoch at which training was stopped, or -1 if it was not. */
  stoppedEpoch = -1;
  /** Epochs since the last improvement. */
  wait = 0;
  private snapshot: tf.Tensor[] | null = null;
  private restored = false;

  constructor(options: EarlyStoppingOptions = {}) {
    super();
    this.monitor = options.monitor ?? "val_loss";
    this.patience = options.patience ?? 0;
    this.minDelta = Math.abs(options.minDelta ?? 0);
    const mode = options.mode ?? "auto";
    if (!["min", "max", "auto"].includes(mode)) throw new Error(`earlyStopping: mode must be "min", "max" or "auto", got "${mode}"`);
    this.mode = mode === "auto" ? (/acc/.test(this.monitor) ? "max" : "min") : mode;
    if (!Number.isInteger(this.patience) || this.patience < 0)
      throw new RangeError(`earlyStopping: patience must be an integer >= 0, got ${this.patience}`);
    this.baseline = options.baseline;
    this.startFromEpoch = options.startFromEpoch ?? 0;
    this.restoreBestWeights = options.restoreBestWeights ?? false;
    this.verbose = options.verbose ?? false;
  }

  /** Accepts a LayersModel (fit, train) or train's wrapper of a parameter set. */
  override setModel(model: unknown): void {
    // tf.Callback.setModel rejects anything but a LayersModel; we only need TrainableModel.
    (this as unknown as { model: unknown }).model = model;
  }

  private get target(): TrainableModel {
    // Set by setModel: a LayersModel in fit, a LayersModel or a parameter-set wrapper in train.
    return this.model as unknown as TrainableModel;
  }

  private improves(current: number, reference: number): boolean {
    if (Number.isNaN(reference)) return true;
    return this.mode === "min" ? current + this.minDelta < reference : current - this.minDelta > reference;
  }

  private takeSnapshot(): void {
    this.disposeSnapshot();
    const live = this.target.getWeights();
    this.snapshot = tf.tidy(() => live.map((w) => w.clone()));
  }

  private disposeSnapshot(): void {
    this.snapshot?.forEach((t) => t.dispose());
    this.snapshot = null;
  }

  override async onTrainBegin(): Promise<void> {
    this.best = NaN;
    this.bestEpoch = -1;
    this.stoppedEpoch = -1;
    this.wait = 0;
    this.restored = false;
    this.disposeSnapshot();
  }

  override async onEpochEnd(epoch: number, logs?: Record<string, LogValue>, state?: TrainState): Promise<void> {
    const current = await scalarOf(logs?.[this.monitor]);
    if (current === undefined) {
      const keys = Object.keys(logs ?? {}).join(", ");
      throw new Error(`earlyStopping: "${this.monitor}" is not in the epoch logs (${keys || "none"}). For val_* give validationData.`);
    }
    if (epoch < this.startFromEpoch || Number.isNaN(current)) return;
    if (this.restoreBestWeights && this.snapshot === null) {
      this.takeSnapshot();
      this.bestEpoch = epoch;
    }
    this.wait += 1;
    if (this.improves(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.takeSnapshot();
      if (this.baseline === undefined || this.improves(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.target.stopTraining = true;
      if (state) state.stopTraining = true;
      if (this.verbose)
        console.log(`earlyStopping: stopped at epoch ${epoch}, best ${this.monitor} ${this.best} at epoch ${this.bestEpoch}`);
    }
  }

  override async onTrainEnd(): Promise<void> {
    if (this.restoreBestWeights && this.snapshot) {
      this.target.setWeights(this.snapshot);
      this.restored = true;
      if (this.verbose) console.log(`earlyStopping: restored the weights of epoch ${this.bestEpoch}`);
    }
    this.disposeSnapshot();
  }

  /** Whether the best weights were copied back at the end of the last run. */
  get restoredBest(): boolean {
    return this.restored;
  }
}

/** `new EarlyStopping(options)`. */
export function earlyStopping(options: EarlyStoppingOptions = {}): EarlyStopping {
  return new EarlyStopping(options);
}

function concatData(a: Dataset, b: Dataset, names: string[]): Dataset {
  const ya = targetList(a.y, names);
  const yb = targetList(b.y, names);
  const y = ya.map((t, i) => tf.concat([t, yb[i]]));
  return { x: tf.concat([a.x, b.x]), y: y.length === 1 ? y[0] : y };
}

function disposeData(d: Dataset): void {
  d.x.dispose();
  if (d.y instanceof tf.Tensor) d.y.dispose();
  else (Array.isArray(d.y) ? d.y : Object.values(d.y)).forEach((t) => t.dispose());
}

export interface SplitData {
  train: Dataset;
  validation: Dataset;
}

type StageOptions = Omit<TrainOptions, "validationData"> & { earlyStopping?: EarlyStoppingOptions };

/**
 * Book Algorithm 7.2: run early stopping on (train, validation) to find the
 * best number of epochs i*, then train a FRESH model (from `makeModel`) on
 * train + validation for i* epochs (`match: "steps"`: for as many parameter
 * updates as the first run made up to i*, rounded up to whole epochs).
 */
export async function retrainOnAll(
  makeModel: () => Trainable,
  data: SplitData,
  options: StageOptions & { match?: "epochs" | "steps" } = {},
): Promise<{ model: Trainable; bestEpochs: number; firstModel: Trainable; firstHistory: History; history: History }> {
  const { earlyStopping: esOptions, match, ...trainOptions } = options;
  const es = new EarlyStopping({ monitor: "val_loss", patience: 5, ...esOptions });
  const userCallbacks =
    trainOptions.callbacks === undefined ? [] : Array.isArray(trainOptions.callbacks) ? trainOptions.callbacks : [trainOptions.callbacks];
  const firstModel = makeModel();
  const firstHistory = await train(firstModel, data.train, {
    ...trainOptions,
    validationData: data.validation,
    callbacks: [...userCallbacks, es],
  });
  const bestEpochs = Math.max(1, es.bestEpoch + 1);
  const names = outputNames(firstModel, data.train.y);
  const all = concatData(data.train, data.validation, names);
  let epochs = bestEpochs;
  if (match === "steps") {
    const bs = trainOptions.batchSize ?? 32;
    const stepsFirst = bestEpochs * Math.ceil(data.train.x.shape[0] / bs);
    epochs = Math.max(1, Math.ceil(stepsFirst / Math.ceil(all.x.shape[0] / bs)));
  }
  try {
    const model = makeModel();
    const history = await train(model, all, { ...trainOptions, epochs, callbacks: userCallbacks });
    return { model, bestEpochs, firstModel, firstHistory, history };
  } finally {
    disposeData(all);
  }
}

/**
 * Book Algorithm 7.3: run early stopping on (train, validation) with the
 * best weights restored, note the training loss eps = J(theta, X_train) at
 * that point, then continue training the SAME model (same optimizer) on
 * train + validation until the validation loss falls below eps, for at
 * most `maxEpochs` more epochs (default 100: the book warns this may never
 * happen). eps and val_loss are data losses (no penalty).
 */
export async function continueOnAll(
  model: Trainable,
  data: SplitData,
  options: StageOptions & { maxEpochs?: number } = {},
): Promise<{ model: Trainable; epsilon: number; bestEpoch: number; reached: boolean; firstHistory: History; history: History }> {
  const { earlyStopping: esOptions, maxEpochs = 100, ...trainOptions } = options;
  const { optimizer, owned } = resolveOptimizer(trainOptions.optimizer ?? "sgd", trainOptions.learningRate, trainOptions.weightDecay);
  const userCallbacks =
    trainOptions.callbacks === undefined ? [] : Array.isArray(trainOptions.callbacks) ? trainOptions.callbacks : [trainOptions.callbacks];
  const es = new EarlyStopping({ monitor: "val_loss", patience: 5, ...esOptions, restoreBestWeights: true });
  const names = outputNames(model, data.train.y);
  let all: Dataset | null = null;
  try {
    const firstHistory = await train(model, data.train, {
      ...trainOptions,
      optimizer,
      validationData: data.validation,
      callbacks: [...userCallbacks, es],
    });
    const epsilon = (await evaluateModel(model, data.train, trainOptions)).loss;
    all = concatData(data.train, data.validation, names);
    let reached = false;
    const stopper = {
      onEpochEnd: async (_epoch: number, logs?: Logs, state?: TrainState) => {
        if (logs && logs.val_loss < epsilon && state) {
          reached = true;
          state.stopTraining = true;
        }
      },
    };
    const history = await train(model, all, {
      ...trainOptions,
      optimizer,
      epochs: maxEpochs,
      initialEpoch: firstHistory.epoch.length,
      validationData: data.validation,
      callbacks: [...userCallbacks, stopper],
    });
    return { model, epsilon, bestEpoch: es.bestEpoch, reached, firstHistory, history };
  } finally {
    if (all) disposeData(all);
    if (owned) optimizer.dispose();
  }
}
