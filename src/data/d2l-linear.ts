/**
 * The high-dimensional linear regression of Dive into Deep Learning
 * (sec. "Weight decay"): y = b + sum_i w_i x_i + N(0, noise^2) with
 * w_i = 0.01, b = 0.05, x ~ N(0, I_d); d = 200, 20 training and 100 test rows
 * by default, so that an unregularized model overfits.
 */
import * as tf from "@tensorflow/tfjs";
import { checkedOptions, makeRng } from "./types";

export interface D2lLinearOptions {
  d?: number;
  nTrain?: number;
  nTest?: number;
  /** Std of the output noise. Default 0.01. */
  noise?: number;
  /** True weight (all equal). Default 0.01. */
  w?: number;
  /** True bias. Default 0.05. */
  b?: number;
  seed?: number;
}

export interface RegressionSet {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
}

export function d2lLinear(options: D2lLinearOptions = {}): { train: RegressionSet; test: RegressionSet; w: number[]; b: number } {
  const wv = options.w ?? 0.01;
  const b = options.b ?? 0.05;
  const { d, nTrain, nTest, noise } = checkedOptions("d2lLinear", options, { d: 200, nTrain: 20, nTest: 100 }, 0.01);
  const r = makeRng(options.seed);
  const make = (n: number): RegressionSet => {
    const x = new Float32Array(n * d);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let s = b;
      for (let j = 0; j < d; j++) {
        const v = r.normal();
        x[i * d + j] = v;
        s += wv * v;
      }
      y[i] = s + r.normal(0, noise);
    }
    return { x: tf.tensor2d(x, [n, d]), y: tf.tensor2d(y, [n, 1]) };
  };
  return { train: make(nTrain), test: make(nTest), w: new Array<number>(d).fill(wv), b };
}
