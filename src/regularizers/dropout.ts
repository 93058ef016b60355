/**
 * Dropout (Deep Learning book 7.12; Srivastava et al. 2014).
 *
 * Inverted dropout, the convention used here by default (as in Keras, tfjs
 * and PyTorch): during training each unit is kept with probability
 * `keep = 1 - rate`,
 *
 *     mask_i ~ Bernoulli(keep),   x~_i = x_i * mask_i / keep,
 *
 * so E[x~] = x and inference needs no rescaling: the ordinary `predict` IS
 * the book's weight-scaling rule (7.66) for inverted dropout. The book's own
 * (non-inverted) form is x~ = x * mask; then at inference the weights going
 * out of a dropped layer must be multiplied by `keep` (`weightScale`).
 *
 * Masks are drawn with `tf.randomUniform` WITHOUT a seed, i.e. from
 * `Math.random`: after `seed(n)` every step gets a fresh mask and the whole
 * sequence of masks repeats from run to run. (tfjs's own `dropout` layer
 * with a fixed `seed` repeats ONE mask on every step.)
 *
 * `noiseShape` lets a mask be shared along axes: a 1 in `noiseShape` means
 * "one draw broadcast along this axis". `spatialDropout2d` uses
 * [batch, 1, 1, channels] on NHWC images: whole feature maps are dropped
 * (Tompson et al. 2015), since neighbouring pixels are strongly correlated
 * and dropping single pixels regularizes little.
 */
import * as tf from "@tensorflow/tfjs";
import { TrainingOnlyLayer, type TrainingOnlyLayerArgs } from "./training-only-layer";

export interface DropoutOptions {
  /**
   * Shape of the mask, broadcast against `x` (same rank; each entry equals
   * x's size on that axis or 1). Default: x's shape (independent units).
   */
  noiseShape?: number[];
  /**
   * true (default): scale kept units by 1/keep (inverted dropout, E[x~] = x).
   * false: the book's form x * mask (use `weightScale` at inference).
   */
  inverted?: boolean;
  /**
   * A fixed seed for this one mask. Leave it out in training loops: without
   * it, masks come from the seeded global stream and differ every step.
   */
  seed?: number;
}

function checkRate(rate: number, where: string): void {
  if (typeof rate !== "number" || !(rate >= 0 && rate < 1)) {
    throw new RangeError(`${where}: rate is the DROP probability and must be in [0, 1), got ${String(rate)}`);
  }
}

function checkNoiseShape(x: tf.Tensor, noiseShape: number[]): void {
  const ok = noiseShape.length === x.rank && noiseShape.every((s, i) => s === 1 || s === x.shape[i]);
  if (!ok) {
    throw new Error(
      `dropout: noiseShape [${noiseShape}] does not broadcast to x's shape [${x.shape}]; ` +
        "give one entry per axis, each equal to x's size on that axis or 1",
    );
  }
}

/**
 * A 0/1 mask with P(1) = keep, as float32, of the given shape.
 * Drawn from `Math.random` unless `seed` is given.
 */
export function bernoulliMask(shape: number[], keep: number, seed?: number): tf.Tensor {
  if (!(keep > 0 && keep <= 1)) throw new RangeError(`bernoulliMask: keep must be in (0, 1], got ${keep}`);
  return tf.tidy(() => tf.randomUniform(shape, 0, 1, "float32", seed).less(keep).toFloat());
}

/**
 * Dropout as a function (always active: call it only in training code).
 *
 * @param rate drop probability p; keep = 1 - p.
 * @example const h2 = dropout(h, 0.5)              // fresh mask each call
 */
export function dropout<T extends tf.Tensor>(x: T, rate: number, options: DropoutOptions = {}): T {
  checkRate(rate, "dropout");
  if (rate === 0) return x.clone();
  const keep = 1 - rate;
  const shape = options.noiseShape ?? x.shape;
  if (options.noiseShape) checkNoiseShape(x, options.noiseShape);
  return tf.tidy(() => {
    const mask = bernoulliMask(shape, keep, options.seed);
    const kept = tf.mul(x, mask);
    return (options.inverted === false ? kept : tf.div(kept, keep)) as T;
  });
}

/**
 * Spatial dropout for NHWC images: one mask entry per (example, channel),
 * so whole feature maps are zeroed. Inverted (kept maps scaled by 1/keep).
 */
export function spatialDropout2d<T extends tf.Tensor>(x: T, rate: number, options: { seed?: number } = {}): T {
  if (x.rank !== 4) {
    throw new Error(`spatialDropout2d: expects NHWC images of rank 4 [batch, height, width, channels], got shape [${x.shape}]`);
  }
  const [n, , , c] = x.shape as number[];
  return dropout(x, rate, { noiseShape: [n, 1, 1, c], seed: options.seed });
}

/**
 * Non-inverted dropout at inference (book 7.66, "weight scaling"): a unit
 * that was present with probability `keep` during training has its outgoing
 * weights multiplied by `keep`. Not needed with inverted dropout (the
 * default everywhere here), whose 1/keep during training does the same job.
 */
export function weightScale(kernel: tf.Tensor, keep: number): tf.Tensor {
  if (!(keep > 0 && keep <= 1)) throw new RangeError(`weightScale: keep must be in (0, 1], got ${keep}`);
  return tf.mul(kernel, keep);
}

export interface DropoutLayerArgs extends TrainingOnlyLayerArgs {
  /** Drop probability. Typical: 0.2 on inputs, 0.5 on hidden units. */
  rate: number;
  /** Mask shape with `null` for "the input's size on this axis" (e.g. [null, 1, 1, null]). */
  noiseShape?: Array<number | null>;
}

/**
 * A dropout layer that draws a fresh, seed-reproducible mask on every
 * training step and is the identity otherwise (`predict`, `evaluate`).
 * Registered for serialization as "ReglabDropout".
 */
export class DropoutLayer extends TrainingOnlyLayer {
  static readonly className: string = "ReglabDropout";
  readonly rate: number;
  readonly noiseShape?: Array<number | null>;

  constructor(args: DropoutLayerArgs) {
    super(args);
    checkRate(args.rate, "dropoutLayer");
    this.rate = args.rate;
    this.noiseShape = args.noiseShape;
  }

  protected maskShape(input: tf.Tensor): number[] | undefined {
    if (!this.noiseShape) return undefined;
    if (this.noiseShape.length !== input.rank) {
      throw new Error(`${this.name}: noiseShape has ${this.noiseShape.length} axes but the input has rank ${input.rank}`);
    }
    return this.noiseShape.map((s, i) => (s == null ? input.shape[i] : s));
  }

  protected perturb(x: tf.Tensor): tf.Tensor {
    return this.rate === 0 ? x.clone() : dropout(x, this.rate, { noiseShape: this.maskShape(x) });
  }

  override getConfig(): tf.serialization.ConfigDict {
    const base = super.getConfig();
    return { ...base, rate: this.rate, noiseShape: this.noiseShape ?? null };
  }
}
tf.serialization.registerClass(DropoutLayer);

/** Drops whole channels of NHWC images during training. Registered as "ReglabSpatialDropout2D". */
export class SpatialDropout2DLayer extends DropoutLayer {
  static override readonly className: string = "ReglabSpatialDropout2D";

  constructor(args: Omit<DropoutLayerArgs, "noiseShape">) {
    super({ ...args, noiseShape: [null, 1, 1, null] });
  }

  protected override maskShape(input: tf.Tensor): number[] {
    if (input.rank !== 4) {
      throw new Error(`${this.name}: spatial dropout expects NHWC input of rank 4, got shape [${input.shape}]`);
    }
    const [n, , , c] = input.shape as number[];
    return [n, 1, 1, c];
  }

  override getConfig(): tf.serialization.ConfigDict {
    const { noiseShape: _unused, ...rest } = super.getConfig();
    return rest;
  }
}
tf.serialization.registerClass(SpatialDropout2DLayer);

/**
 * A dropout layer with fresh seeded masks. Use it on inputs too (input
 * dropout, typical rate 0.2) by giving `inputShape`; each layer has its own rate.
 *
 * @example tf.sequential({layers: [dropoutLayer({rate: 0.2, inputShape: [2]}),
 *   tf.layers.dense({units: 64, activation: "relu"}), dropoutLayer({rate: 0.5}), tf.layers.dense({units: 1})]})
 */
export function dropoutLayer(args: DropoutLayerArgs): DropoutLayer {
  return new DropoutLayer(args);
}

/** Spatial dropout for NHWC feature maps (tfjs has only spatialDropout1d). */
export function spatialDropout2dLayer(args: Omit<DropoutLayerArgs, "noiseShape">): SpatialDropout2DLayer {
  return new SpatialDropout2DLayer(args);
}
