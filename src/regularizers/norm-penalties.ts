/**
 * Parameter norm penalties (Goodfellow, Bengio & Courville, "Deep Learning",
 * sec. 7.1): the regularized objective is J~(w) = J(w) + Omega(w).
 *
 * Conventions (the BOOK's, stated once, used everywhere in reglab):
 *   - L2:          Omega(w) = alpha/2 * ||w||_2^2                  (eq. 7.1-7.5)
 *                  gradient alpha*w, so one SGD step is
 *                  w <- (1 - eps*alpha) w - eps*grad J            (eq. 7.5)
 *   - L1:          Omega(w) = alpha * ||w||_1                      (eq. 7.18-7.20)
 *   - elastic net: Omega(w) = l1 * ||w||_1 + l2/2 * ||w||_2^2
 *
 * Conversions for the same penalty elsewhere:
 *   - tfjs / Keras: `tf.regularizers.l2({l2: alpha/2})` (they omit the 1/2),
 *     `tf.regularizers.l1({l1: alpha})`.
 *   - PyTorch: `torch.optim.SGD(..., weight_decay=alpha)` (it adds alpha*w to
 *     the gradient, i.e. the gradient of alpha/2 ||w||^2).
 *
 * By default a penalty applies to weights (kernels) and NOT to biases, as the
 * book recommends (sec. 7.1: biases need little data to fit and penalizing
 * them can underfit). `includeBiases: true` changes that.
 */
import * as tf from "@tensorflow/tfjs";
import type { Regularizer } from "@tensorflow/tfjs-layers/dist/regularizers";

/**
 * Whether a variable is a weight matrix/kernel (penalized and decayed by
 * default) rather than a bias or a normalization statistic. Names win over
 * shapes: tfjs layers name their variables `.../kernel`, `.../bias`,
 * `.../gamma`, `.../moving_mean`; unnamed from-scratch parameters count as
 * kernels when they have rank >= 2.
 */
export function isKernelVariable(v: { name: string; shape: number[] }): boolean {
  const name = v.name.toLowerCase();
  if (/bias|beta|gamma|moving_mean|moving_variance/.test(name)) {
    return false;
  }
  if (/kernel|embeddings|weight/.test(name)) return true;
  return v.shape.length >= 2;
}

export interface NormPenaltyOptions {
  /** Also penalize biases (and other non-kernel variables). Default false. */
  includeBiases?: boolean;
}

/** Coefficients of Omega(w) = l1*||w||_1 + l2/2*||w||_2^2 (book convention). */
export interface ElasticNetCoefficients {
  l1?: number;
  l2?: number;
}

// tfjs does not export the abstract Regularizer class; reach it through an
// instance of its only subclass so that `instanceof Regularizer` holds and
// layers accept our regularizer as `kernelRegularizer`.
const RegularizerBase = Object.getPrototypeOf(tf.regularizers.l2().constructor) as abstract new () => Regularizer;

/**
 * A tfjs layer regularizer in the book's convention
 * (l1*sum|w| + l2/2*sum w^2), registered with tf.serialization so models
 * using it can be saved and loaded.
 */
export class BookNormRegularizer extends RegularizerBase {
  static readonly className = "reglab.BookNormRegularizer";
  readonly l1: number;
  readonly l2: number;

  constructor(config: ElasticNetCoefficients = {}) {
    super();
    this.l1 = config.l1 ?? 0;
    this.l2 = config.l2 ?? 0;
  }

  apply(x: tf.Tensor): tf.Scalar {
    return tf.tidy(() => normPenaltyValue(x, this.l1, this.l2));
  }

  getConfig(): tf.serialization.ConfigDict {
    return { l1: this.l1, l2: this.l2 };
  }

  static fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config);
  }
}
tf.serialization.registerClass(BookNormRegularizer);

function normPenaltyValue(w: tf.Tensor, l1: number, l2: number): tf.Scalar {
  let out: tf.Scalar = tf.scalar(0);
  if (l1 !== 0) out = tf.add(out, tf.mul(l1, tf.sum(tf.abs(w))));
  if (l2 !== 0) out = tf.add(out, tf.mul(l2 / 2, tf.sum(tf.square(w))));
  return out;
}

function checkCoefficient(name: string, v: number): void {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${String(v)}`);
  }
}

/**
 * A norm penalty Omega(w) = l1*||w||_1 + l2/2*||w||_2^2 over a set of weights.
 * Use it (a) directly: `penalty.value(weights)`, (b) as `train(..., {penalty})`,
 * (c) as a layer regularizer: `penalty.asLayerRegularizer()`.
 */
export class NormPenalty {
  readonly l1: number;
  readonly l2: number;
  readonly includeBiases: boolean;
  readonly name: string;

  constructor(coefficients: ElasticNetCoefficients, options: NormPenaltyOptions = {}, name?: string) {
    this.l1 = coefficients.l1 ?? 0;
    this.l2 = coefficients.l2 ?? 0;
    checkCoefficient("l1", this.l1);
    checkCoefficient("l2", this.l2);
    this.includeBiases = options.includeBiases ?? false;
    this.name = name ?? (this.l1 && this.l2 ? "elasticNet" : this.l1 ? "l1" : "l2");
  }

  /** Omega of the given tensors (all of them: select beforehand). */
  value(weights: tf.Tensor | tf.Tensor[]): tf.Scalar {
    const ws = Array.isArray(weights) ? weights : [weights];
    return tf.tidy(() => {
      let out: tf.Scalar = tf.scalar(0);
      for (const w of ws) out = tf.add(out, normPenaltyValue(w, this.l1, this.l2));
      return out;
    });
  }

  /** Whether `train` applies this penalty to the variable. */
  appliesTo(v: { name: string; shape: number[] }): boolean {
    return this.includeBiases || isKernelVariable(v);
  }

  /** The same penalty as a tfjs layer regularizer (`kernelRegularizer`). */
  asLayerRegularizer(): BookNormRegularizer {
    return new BookNormRegularizer({ l1: this.l1, l2: this.l2 });
  }

  /** The equivalent tfjs built-in regularizer (tfjs omits the 1/2 of L2). */
  toTfjs(): Regularizer {
    return tf.regularizers.l1l2({ l1: this.l1, l2: this.l2 / 2 });
  }

  toString(): string {
    return `${this.name}(l1=${this.l1}, l2=${this.l2}${this.includeBiases ? ", with biases" : ""})`;
  }
}

/** L2 penalty alpha/2 * ||w||^2 (book eq. 7.2). tfjs: l2({l2: alpha/2}); PyTorch SGD: weight_decay = alpha. */
export function l2(alpha: number, options: NormPenaltyOptions = {}): NormPenalty {
  return new NormPenalty({ l2: alpha }, options, "l2");
}

/** L1 penalty alpha * ||w||_1 (book eq. 7.18). tfjs: l1({l1: alpha}). */
export function l1(alpha: number, options: NormPenaltyOptions = {}): NormPenalty {
  return new NormPenalty({ l1: alpha }, options, "l1");
}

/** Elastic net l1*||w||_1 + l2/2*||w||_2^2. */
export function elasticNet(coefficients: ElasticNetCoefficients, options: NormPenaltyOptions = {}): NormPenalty {
  return new NormPenalty(coefficients, options, "elasticNet");
}

/**
 * The from-scratch weight-decay update of eq. 7.5, in place:
 * w <- (1 - lr*alpha) w - lr*grad. Returns nothing; `w` is assigned.
 */
export function weightDecayStep(w: tf.Variable, grad: tf.Tensor, lr: number, alpha: number): void {
  tf.tidy(() => {
    w.assign(tf.sub(tf.mul(1 - lr * alpha, w), tf.mul(lr, grad)));
  });
}

/** Soft-thresholding, the proximal operator of t*||.||_1: sign(w) max(|w| - t, 0). */
export function softThreshold(w: tf.Tensor, t: number): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.sign(w), tf.relu(tf.sub(tf.abs(w), t))));
}
