/**
 * Parameter tying (Goodfellow, Bengio & Courville, "Deep Learning", sec. 7.9):
 * two models (or two layers) solving similar tasks should have close weights,
 *   Omega(w) = alpha/2 * ||w(A) - w(B)||_2^2    (the book's 1/2, as in norm-penalties.ts)
 * summed over the paired tensors, with gradient alpha (w(A) - w(B)) on A and
 * its negative on B. Pairs are the kernels of A and B in order (biases too
 * with `includeBiases: true`); their shapes must agree.
 *
 * Usable as `train(model, data, { penalty: tyingPenalty(a, b, alpha) })`:
 * the weights of A and B that `model` trains receive the gradient; the others
 * (e.g. a fixed reference model B) are read as constants.
 */
import * as tf from "@tensorflow/tfjs";
import { isKernelVariable } from "./norm-penalties";
import type { WeightPenalty } from "../training/types";

/** What a side of the tie can be: a layer, a model, or explicit variables. */
export type TieSide = tf.layers.Layer | tf.LayersModel | tf.Variable[];

export interface TyingOptions {
  /** Tie biases (and other non-kernel variables) too. Default false. */
  includeBiases?: boolean;
}

function variablesOf(side: TieSide, which: string): tf.Variable[] {
  if (Array.isArray(side)) {
    if (!side.every((v) => v instanceof tf.Variable)) {
      throw new TypeError(`tyingPenalty: ${which} must be a layer, a model or tf.Variable[]`);
    }
    return side;
  }
  if (!(side instanceof tf.layers.Layer)) throw new TypeError(`tyingPenalty: ${which} must be a layer, a model or tf.Variable[]`);
  // A Sequential with an input shape has its weights before `built` is set; a bare layer does not.
  if (!(side instanceof tf.LayersModel) && !side.built) {
    throw new Error(`tyingPenalty: ${which} (${side.name}) has no weights yet: build it (add it to a model) first.`);
  }
  return side.trainableWeights.map((w) => w.read() as tf.Variable);
}

export class TyingPenalty implements WeightPenalty {
  readonly name = "tying";

  constructor(
    readonly a: TieSide,
    readonly b: TieSide,
    readonly alpha: number,
    readonly options: TyingOptions = {},
  ) {
    if (typeof alpha !== "number" || !Number.isFinite(alpha) || alpha < 0) {
      throw new RangeError(`tyingPenalty: alpha must be a finite number >= 0, got ${String(alpha)}`);
    }
    if (a === b) throw new Error("tyingPenalty: a and b are the same object; tie two different layers or models.");
  }

  /** The paired tensors [w(A)_k, w(B)_k], checked for count and shape. */
  pairs(): Array<[tf.Variable, tf.Variable]> {
    const pick = (vs: tf.Variable[]) => (this.options.includeBiases ? vs : vs.filter((v) => isKernelVariable(v)));
    const as = pick(variablesOf(this.a, "a"));
    const bs = pick(variablesOf(this.b, "b"));
    if (as.length !== bs.length) {
      const names = (vs: tf.Variable[]) => vs.map((v) => v.name).join(", ");
      throw new Error(`tyingPenalty: a has ${as.length} tied tensors (${names(as)}), b has ${bs.length} (${names(bs)}).`);
    }
    as.forEach((v, i) => {
      if (!tf.util.arraysEqual(v.shape, bs[i].shape)) {
        const other = `${bs[i].name} has [${bs[i].shape}]`;
        throw new Error(`tyingPenalty: ${v.name} has shape [${v.shape}] but ${other}; tied tensors must have the same shape.`);
      }
    });
    return as.map((v, i) => [v, bs[i]]);
  }

  /** Which of the trained model's variables the penalty involves. */
  appliesTo(v: { name: string; shape: number[] }): boolean {
    return this.pairs().some(([x, y]) => x.name === v.name || y.name === v.name);
  }

  /**
   * Omega = alpha/2 * sum_k ||A_k - B_k||^2. It reads A's and B's variables
   * itself (the argument is the trained model's selection, which may hold
   * only one side); gradients reach whichever side is being trained.
   */
  value(_weights?: tf.Tensor[]): tf.Scalar {
    const pairs = this.pairs();
    return tf.tidy(() => {
      let out: tf.Scalar = tf.scalar(0);
      for (const [x, y] of pairs) out = tf.add(out, tf.sum(tf.squaredDifference(x, y)));
      return tf.mul(this.alpha / 2, out);
    });
  }

  toString(): string {
    return `tying(alpha=${this.alpha}${this.options.includeBiases ? ", with biases" : ""})`;
  }
}

/**
 * Omega = alpha/2 ||w(A) - w(B)||^2 between two layers, two models or two
 * lists of variables (book sec. 7.9).
 *
 * @example train(model, data, { penalty: tyingPenalty(model.layers[1], model.layers[2], 1e-2) })
 */
export function tyingPenalty(a: TieSide, b: TieSide, alpha: number, options: TyingOptions = {}): TyingPenalty {
  return new TyingPenalty(a, b, alpha, options);
}
