/**
 * Batch normalization (Ioffe & Szegedy 2015), with its regularizing side.
 *
 * Training (statistics of the batch B of m rows, per feature j):
 *   mu_B = (1/m) sum_i x_i,   var_B = (1/m) sum_i (x_i - mu_B)^2   (biased)
 *   y = gamma * (x - mu_B) / sqrt(var_B + epsilon) + beta
 *   moving_mean <- momentum * moving_mean + (1 - momentum) * mu_B
 *   moving_var  <- momentum * moving_var  + (1 - momentum) * var_B
 * Inference: y = gamma * (x - moving_mean) / sqrt(moving_var + epsilon) + beta.
 * The gradient flows through mu_B and var_B (they depend on x).
 *
 * Conventions: `momentum` is the weight of the OLD value, as in tfjs and
 * Keras (default 0.99, epsilon 1e-3); PyTorch's BatchNorm1d(momentum=0.1,
 * eps=1e-5) means momentum 0.9 here. tfjs' `tf.layers.batchNormalization`
 * feeds the biased var_B into the moving variance, PyTorch the unbiased
 * m/(m-1) var_B: `unbiasedMovingVariance: true` gives PyTorch's. Moving
 * statistics start at mean 0, variance 1 in all three.
 *
 * tfjs' layer trains correctly through `train` (it runs the model with
 * training: true, which updates the moving statistics, and `predict` uses
 * them); the tests check it against tfjs `fit` and this from-scratch
 * version. Every extra forward pass in training mode (an adversarial or
 * semi-supervised term, an activity probe) updates them again.
 *
 * Its regularizing side is the noise of mu_B and var_B: for rows drawn with
 * replacement, Var(mu_B,j) = sigma_j^2 / m (`batchStatisticsNoise` measures
 * it). Dropout before batch normalization shifts the variance between
 * training and inference (Li et al. 2019): inverted dropout with keep
 * probability p on a unit with mean mu and variance sigma^2 has training
 * variance (sigma^2 + mu^2)/p - mu^2 and inference variance sigma^2, so the
 * moving variance learned in training is too large at test time
 * (`dropoutVarianceShift`, `measureDropoutVarianceShift`).
 */
import * as tf from "@tensorflow/tfjs";

export interface BatchNormOptions {
  /** Number of features (last axis). */
  units: number;
  /** Weight of the old moving statistic. Default 0.99 (tfjs, Keras). */
  momentum?: number;
  /** Added to the variance. Default 1e-3 (tfjs, Keras; PyTorch 1e-5). */
  epsilon?: number;
  /** Feed m/(m-1) var_B into the moving variance (PyTorch). Default false (tfjs). */
  unbiasedMovingVariance?: boolean;
  /** Variable name prefix. Default "batch_norm". */
  name?: string;
}

let instances = 0;

/** A from-scratch batch-normalization unit over the last axis, for parameter sets in notebooks. */
export class BatchNorm {
  readonly units: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly unbiasedMovingVariance: boolean;
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly movingMean: tf.Variable;
  readonly movingVariance: tf.Variable;

  constructor(options: BatchNormOptions) {
    const { units } = options;
    if (!Number.isInteger(units) || units < 1) throw new RangeError(`batchNorm: units must be a positive integer, got ${String(units)}`);
    const momentum = options.momentum ?? 0.99;
    if (typeof momentum !== "number" || !(momentum >= 0 && momentum < 1)) {
      throw new RangeError(`batchNorm: momentum must be in [0, 1), got ${String(momentum)}`);
    }
    const epsilon = options.epsilon ?? 1e-3;
    if (typeof epsilon !== "number" || !(epsilon > 0)) throw new RangeError(`batchNorm: epsilon must be > 0, got ${String(epsilon)}`);
    this.units = units;
    this.momentum = momentum;
    this.epsilon = epsilon;
    this.unbiasedMovingVariance = options.unbiasedMovingVariance ?? false;
    const name = options.name ?? "batch_norm";
    // A counter, not Math.random: building a unit must not move the seeded stream.
    const unique = `${name}_${++instances}`;
    this.gamma = tf.variable(tf.ones([units]), true, `${unique}/gamma`);
    this.beta = tf.variable(tf.zeros([units]), true, `${unique}/beta`);
    this.movingMean = tf.variable(tf.zeros([units]), false, `${unique}/moving_mean`);
    this.movingVariance = tf.variable(tf.ones([units]), false, `${unique}/moving_variance`);
  }

  /** The trainable variables [gamma, beta]. */
  get params(): tf.Variable[] {
    return [this.gamma, this.beta];
  }

  /** Normalize x ([m, ..., units]); in training, with the batch's statistics, updating the moving ones. */
  apply(x: tf.Tensor, training: boolean): tf.Tensor {
    if (x.shape[x.rank - 1] !== this.units) {
      throw new Error(`batchNorm: expected ${this.units} features on the last axis, got shape [${x.shape}]`);
    }
    return tf.tidy(() => {
      if (!training) return this.normalize(x, this.movingMean, this.movingVariance);
      const axes = x.shape.slice(0, -1).map((_, i) => i);
      const { mean, variance } = tf.moments(x, axes);
      const m = x.size / this.units;
      if (m < 2 && this.unbiasedMovingVariance) throw new Error("batchNorm: the unbiased moving variance needs at least 2 rows per batch.");
      const batchVar = this.unbiasedMovingVariance ? tf.mul(variance, m / (m - 1)) : variance;
      // assign is not recorded by the gradient tape: the moving statistics are side effects, as in tfjs' layer.
      this.movingMean.assign(tf.add(tf.mul(this.movingMean, this.momentum), tf.mul(mean, 1 - this.momentum)));
      this.movingVariance.assign(tf.add(tf.mul(this.movingVariance, this.momentum), tf.mul(batchVar, 1 - this.momentum)));
      return this.normalize(x, mean, variance);
    });
  }

  private normalize(x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor): tf.Tensor {
    return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, this.epsilon))), this.gamma), this.beta);
  }

  dispose(): void {
    tf.dispose([this.gamma, this.beta, this.movingMean, this.movingVariance]);
  }
}

/** A from-scratch batch normalization (see BatchNorm). */
export function batchNorm(options: BatchNormOptions): BatchNorm {
  return new BatchNorm(options);
}

export interface BatchNoiseRow {
  batchSize: number;
  /** Standard deviation of mu_B over draws, averaged over features. */
  meanStd: number;
  /** Standard deviation of var_B (biased) over draws, averaged over features. */
  varianceStd: number;
  /** sigma_j / sqrt(m), averaged over features (the exact value for draws with replacement). */
  predictedMeanStd: number;
}

/**
 * The noise of batch statistics: for each batch size m, `trials` batches
 * drawn with replacement (Math.random, seeded by `seed`), the spread of
 * their per-feature mean and variance. Smaller batches -> noisier
 * normalization -> a stronger regularizing effect.
 */
export function batchStatisticsNoise(x: tf.Tensor2D, batchSizes: number[], options: { trials?: number } = {}): BatchNoiseRow[] {
  const trials = options.trials ?? 200;
  if (!Number.isInteger(trials) || trials < 2) {
    throw new RangeError(`batchStatisticsNoise: trials must be an integer >= 2, got ${String(options.trials)}`);
  }
  if (x.rank !== 2) throw new Error(`batchStatisticsNoise: x must be [n, features], got shape [${x.shape}]`);
  const [n, d] = x.shape;
  const data = x.dataSync();
  const mean = new Float64Array(d);
  const sigma = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j] / n;
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) sigma[j] += (data[i * d + j] - mean[j]) ** 2 / n;
  for (let j = 0; j < d; j++) sigma[j] = Math.sqrt(sigma[j]);
  return batchSizes.map((m) => {
    if (!Number.isInteger(m) || m < 1) throw new RangeError(`batchStatisticsNoise: batch sizes must be positive integers, got ${m}`);
    const mus = new Float64Array(trials * d);
    const vars = new Float64Array(trials * d);
    for (let t = 0; t < trials; t++) {
      const s1 = new Float64Array(d);
      const s2 = new Float64Array(d);
      for (let i = 0; i < m; i++) {
        const row = Math.floor(Math.random() * n);
        for (let j = 0; j < d; j++) {
          const v = data[row * d + j];
          s1[j] += v;
          s2[j] += v * v;
        }
      }
      for (let j = 0; j < d; j++) {
        mus[t * d + j] = s1[j] / m;
        vars[t * d + j] = Math.max(0, s2[j] / m - (s1[j] / m) ** 2);
      }
    }
    const spread = (a: Float64Array, j: number): number => {
      let s = 0;
      let s2 = 0;
      for (let t = 0; t < trials; t++) {
        s += a[t * d + j];
        s2 += a[t * d + j] ** 2;
      }
      return Math.sqrt(Math.max(0, (s2 - (s * s) / trials) / (trials - 1)));
    };
    let meanStd = 0;
    let varianceStd = 0;
    let predicted = 0;
    for (let j = 0; j < d; j++) {
      meanStd += spread(mus, j) / d;
      varianceStd += spread(vars, j) / d;
      predicted += sigma[j] / Math.sqrt(m) / d;
    }
    return { batchSize: m, meanStd, varianceStd, predictedMeanStd: predicted };
  });
}

/** Li et al. (2019): the variance of a unit after inverted dropout (keep p) in training and at inference. */
export function dropoutVarianceShift(o: { keep: number; mean: number; variance: number }): {
  train: number;
  inference: number;
  ratio: number;
} {
  if (!(o.keep > 0 && o.keep <= 1)) throw new RangeError(`dropoutVarianceShift: keep must be in (0, 1], got ${String(o.keep)}`);
  if (!(o.variance >= 0)) throw new RangeError(`dropoutVarianceShift: variance must be >= 0, got ${String(o.variance)}`);
  const train = (o.variance + o.mean * o.mean) / o.keep - o.mean * o.mean;
  return { train, inference: o.variance, ratio: o.variance / train };
}

/**
 * The same shift measured: per-feature variance of `tf.dropout(x, rate)`
 * (training) and of x (inference), averaged over features, and the
 * prediction of `dropoutVarianceShift` from x's own means and variances.
 */
export function measureDropoutVarianceShift(x: tf.Tensor2D, rate: number): { train: number; inference: number; predictedTrain: number } {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`measureDropoutVarianceShift: rate must be in [0, 1), got ${String(rate)}`);
  return tf.tidy(() => {
    const dropped = rate > 0 ? tf.dropout(x, rate) : x;
    const a = tf.moments(dropped, 0);
    const b = tf.moments(x, 0);
    const keep = 1 - rate;
    const predicted = tf.sub(tf.div(tf.add(b.variance, tf.square(b.mean)), keep), tf.square(b.mean));
    return {
      train: tf.mean(a.variance).dataSync()[0],
      inference: tf.mean(b.variance).dataSync()[0],
      predictedTrain: tf.mean(predicted).dataSync()[0],
    };
  });
}
