/**
 * Noise robustness (Deep Learning book 7.5).
 *
 * Input noise: x~ = x + e, e ~ N(0, sigma^2 I), a fresh draw every training
 * step. For linear regression with the MEAN squared error
 * J(w) = (1/n) sum_i (w^T x_i + b - y_i)^2 the expected noisy loss is
 *
 *   E_e J~ = J(w) + sigma^2 ||w||^2          (Bishop 1995)
 *
 * because E[(w^T e)^2] = sigma^2 ||w||^2 and the cross term has mean 0. Its
 * minimizer is ridge regression (bias unpenalized)
 *   w = (Xc^T Xc + n sigma^2 I)^{-1} Xc^T yc   (Xc, yc centred),
 * i.e. alpha = sigma^2 for the mean-form objective J + alpha ||w||^2, or
 * alpha = n sigma^2 for the sum-form ||Xw - y||^2 + alpha ||w||^2. (With
 * the book's alpha/2 ||w||^2 convention on the mean loss: alpha = 2 sigma^2.)
 *
 * Weight noise (book 7.5.1, Graves 2011): each step evaluates the gradient at
 * perturbed weights w + e, e ~ N(0, sigma^2), and applies the update to the
 * CLEAN weights: w <- w - lr * grad J(w + e). `weightNoise` does this by
 * adding e before the step and subtracting the same e after it (the update is
 * additive, so (w + e + delta) - e = w + delta). For small sigma this
 * approximately penalizes sigma^2 E||grad_w y^||^2 and favours flat minima.
 * The variant `mode: "persist"` keeps the noise in the weights (a random
 * walk added to SGD) and is given for comparison only.
 *
 * Draws use tfjs ops without a seed, so they follow `seed(n)`: fresh every
 * step and reproducible from run to run.
 */
import * as tf from "@tensorflow/tfjs";
import { TrainingOnlyLayer, type TrainingOnlyLayerArgs } from "./training-only-layer";

function checkStd(stddev: number, where: string): void {
  if (typeof stddev !== "number" || !(stddev >= 0) || !Number.isFinite(stddev)) {
    throw new RangeError(`${where}: stddev must be a finite number >= 0, got ${String(stddev)}`);
  }
}

/** x + N(0, stddev^2) noise, a fresh draw every call (always active). */
export function gaussianNoise<T extends tf.Tensor>(x: T, stddev: number): T {
  checkStd(stddev, "gaussianNoise");
  if (stddev === 0) return x.clone();
  return tf.tidy(() => tf.add(x, tf.randomNormal(x.shape, 0, stddev, "float32")) as T);
}

export interface GaussianNoiseLayerArgs extends TrainingOnlyLayerArgs {
  stddev: number;
}

/**
 * Adds N(0, stddev^2) during training only (`fit`, `train`,
 * `apply(x, {training: true})`); the identity in `predict`. Unlike
 * `tf.layers.gaussianNoise` its draws follow `seed(n)`.
 * Registered as "ReglabGaussianNoise".
 */
export class GaussianNoiseLayer extends TrainingOnlyLayer {
  static readonly className: string = "ReglabGaussianNoise";
  readonly stddev: number;

  constructor(args: GaussianNoiseLayerArgs) {
    super(args);
    checkStd(args.stddev, "gaussianNoiseLayer");
    this.stddev = args.stddev;
  }

  protected perturb(x: tf.Tensor): tf.Tensor {
    return gaussianNoise(x, this.stddev);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), stddev: this.stddev };
  }
}
tf.serialization.registerClass(GaussianNoiseLayer);

/** Gaussian input noise as a layer, e.g. first in a Sequential with `inputShape`. */
export function gaussianNoiseLayer(args: GaussianNoiseLayerArgs): GaussianNoiseLayer {
  return new GaussianNoiseLayer(args);
}

export interface WeightNoiseOptions {
  /** Standard deviation sigma of the weight perturbation. */
  stddev: number;
  /**
   * "restore" (default): gradient at w + e, update applied to w (noise
   * removed after the step). "persist": the noise stays in the weights.
   */
  mode?: "restore" | "persist";
  /** Which variables to perturb. Default: every trainable variable. */
  filter?: (v: tf.Variable) => boolean;
}

/** Anything the variables can be read from: a LayersModel, `train`'s wrapper, or a variable list. */
type WeightSource = tf.LayersModel | { getWeights(): tf.Tensor[] } | tf.Variable[];

function variablesOf(source: WeightSource): tf.Variable[] {
  if (Array.isArray(source)) return source;
  if (source instanceof tf.LayersModel) return source.trainableWeights.map((w) => w.read() as tf.Variable);
  const ws = source.getWeights();
  if (!ws.every((w) => w instanceof tf.Variable)) {
    throw new Error("weightNoise: the model's getWeights() must return tf.Variables; pass the variables explicitly");
  }
  return ws as tf.Variable[];
}

/**
 * Weight noise as a training callback (a tf.Callback) for tfjs `fit` and for
 * `train`: fresh noise is added in onBatchBegin and removed in onBatchEnd
 * ("restore" mode), so validation and epoch-end callbacks always see clean
 * weights. The variables come from `setModel` or from `variables`.
 * In a custom loop call `perturb()` before and `restore()` after each step.
 */
export class WeightNoise extends tf.Callback {
  readonly stddev: number;
  readonly mode: "restore" | "persist";
  private vars: tf.Variable[] | null;
  private readonly filter: (v: tf.Variable) => boolean;
  private noise: tf.Tensor[] | null = null;
  /** Noise has been added for the coming step. */
  private armed = false;
  private steps = 0;

  constructor(options: WeightNoiseOptions, variables?: WeightSource) {
    super();
    checkStd(options.stddev, "weightNoise");
    if (options.mode && options.mode !== "restore" && options.mode !== "persist") {
      throw new Error(`weightNoise: mode must be "restore" or "persist", got ${String(options.mode)}`);
    }
    this.stddev = options.stddev;
    this.mode = options.mode ?? "restore";
    this.filter = options.filter ?? (() => true);
    this.vars = variables ? variablesOf(variables).filter(this.filter) : null;
  }

  /** Called by `fit` / `train` with the model being trained (`train` may pass its parameter-set wrapper). */
  override setModel(model: Parameters<tf.Callback["setModel"]>[0]): void {
    super.setModel(model);
    if (this.vars === null) this.vars = variablesOf(model as unknown as WeightSource).filter(this.filter);
  }

  /** Number of perturbed steps so far. */
  get perturbedSteps(): number {
    return this.steps;
  }

  /** Add a fresh e ~ N(0, sigma^2) to every variable (remembered for `restore` in "restore" mode). */
  perturb(): void {
    if (!this.vars) throw new Error("weightNoise: no variables: pass them to the constructor or train through fit/train (setModel)");
    if (this.armed) throw new Error("weightNoise: perturb() called twice without restore()");
    const noise = this.vars.map((v) => tf.randomNormal(v.shape, 0, this.stddev, "float32"));
    tf.tidy(() => this.vars!.forEach((v, i) => v.assign(tf.add(v, noise[i]))));
    if (this.mode === "restore") this.noise = noise;
    else tf.dispose(noise);
    this.armed = true;
    this.steps++;
  }

  /** Subtract the noise added by the last `perturb()` ("restore" mode; "persist" keeps it). */
  restore(): void {
    this.armed = false;
    if (!this.noise) return;
    const noise = this.noise;
    tf.tidy(() => this.vars!.forEach((v, i) => v.assign(tf.sub(v, noise[i]))));
    tf.dispose(noise);
    this.noise = null;
  }

  override async onBatchBegin(): Promise<void> {
    if (!this.armed) this.perturb();
  }

  override async onBatchEnd(): Promise<void> {
    this.restore();
  }

  override async onEpochEnd(): Promise<void> {
    this.restore();
  }

  override async onTrainEnd(): Promise<void> {
    this.restore();
  }
}

/** @example await model.fit(x, y, {callbacks: weightNoise({stddev: 0.01})}) */
export function weightNoise(options: WeightNoiseOptions, variables?: WeightSource): WeightNoise {
  return new WeightNoise(options, variables);
}
