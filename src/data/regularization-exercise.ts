/**
 * A synthetic stand-in for the deeplearning.ai "Regularization" exercise
 * data (its `data.mat` has no licence, so it is not shipped): 2-D points in
 * a rounded blob about [-0.75, 0.6] x [-0.75, 0.75], two classes split by a
 * wavy boundary x1 = 0.05 + 0.12 sin(4.5 x2), with the class of a point
 * decided by the signed distance to it plus N(0, noise^2) (so points near
 * the boundary are noisy, as in the original). Defaults: 211 training and
 * 200 test points, as the exercise.
 */
import { checkedOptions, labeled, makeRng, type LabeledData } from "./types";

export interface RegularizationExerciseOptions {
  nTrain?: number;
  nTest?: number;
  /** Std of the label noise around the boundary. Default 0.12. */
  noise?: number;
  seed?: number;
}

export function regularizationExercise(options: RegularizationExerciseOptions = {}): { train: LabeledData; test: LabeledData } {
  const { nTrain, nTest, noise } = checkedOptions("regularizationExercise", options, { nTrain: 211, nTest: 200 }, 0.12);
  const r = makeRng(options.seed);
  const make = (n: number): LabeledData => {
    const points: number[][] = [];
    const labels: number[] = [];
    while (points.length < n) {
      const a = -0.75 + 1.35 * r.next();
      const b = -0.75 + 1.5 * r.next();
      // Rounded blob: reject the corners of the box.
      const u = (a + 0.075) / 0.675;
      const v = b / 0.75;
      if (u ** 4 + v ** 4 > 1) continue;
      const margin = a - (0.05 + 0.12 * Math.sin(4.5 * b));
      points.push([a, b]);
      labels.push(margin + r.normal(0, noise) > 0 ? 1 : 0);
    }
    return labeled(points, labels);
  };
  return { train: make(nTrain), test: make(nTest) };
}
