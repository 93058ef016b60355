/**
 * Polynomial regression (Dive into Deep Learning, "Model selection,
 * underfitting and overfitting"): y = sum_i c_i x^i / i! + N(0, noise^2),
 * x ~ N(0, 1), default c = (5, 1.2, -3.4, 5.6). `features` holds
 * x^i / i! for i = 0..maxDegree-1 (the 1/i! keeps high powers from
 * exploding); fitting the first k columns fits a degree-(k-1) polynomial.
 */
import * as tf from "@tensorflow/tfjs";
import { checkedOptions, makeRng, type GeneratorOptions } from "./types";

export interface PolynomialOptions extends GeneratorOptions {
  coefficients?: number[];
  /** Number of feature columns. Default 20. */
  maxDegree?: number;
}

export interface PolynomialData {
  /** [n, 1] the raw inputs. */
  x: tf.Tensor2D;
  /** [n, maxDegree] x^i / i!. */
  features: tf.Tensor2D;
  y: tf.Tensor2D;
  xs: number[];
  ys: number[];
  coefficients: number[];
}

export function polynomial(options: PolynomialOptions = {}): PolynomialData {
  const coefficients = options.coefficients ?? [5, 1.2, -3.4, 5.6];
  const { n, maxDegree, noise } = checkedOptions("polynomial", options, { n: 100, maxDegree: 20 }, 0.1);
  if (coefficients.length > maxDegree)
    throw new RangeError(`polynomial: ${coefficients.length} coefficients need maxDegree >= ${coefficients.length}`);
  const r = makeRng(options.seed);
  const feats = new Float32Array(n * maxDegree);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = r.normal();
    let term = 1; // x^k / k!
    let y = 0;
    for (let k = 0; k < maxDegree; k++) {
      if (k > 0) term *= x / k;
      feats[i * maxDegree + k] = term;
      if (k < coefficients.length) y += coefficients[k] * term;
    }
    xs.push(x);
    ys.push(y + r.normal(0, noise));
  }
  return {
    x: tf.tensor2d(xs, [n, 1]),
    features: tf.tensor2d(feats, [n, maxDegree]),
    y: tf.tensor2d(ys, [n, 1]),
    xs,
    ys,
    coefficients,
  };
}
