/**
 * Two concentric circles (as scikit-learn's make_circles): class 0 on the
 * unit circle, class 1 on the circle of radius `factor`, plus N(0, noise^2)
 * on each coordinate.
 */
import { checkCount, checkNoise, labeled, makeRng, type GeneratorOptions, type LabeledData } from "./types";

export function circles(options: GeneratorOptions & { factor?: number } = {}): LabeledData {
  const n = options.n ?? 200;
  const noise = options.noise ?? 0.05;
  const factor = options.factor ?? 0.5;
  checkCount("circles: n", n);
  checkNoise(noise);
  if (!(factor > 0 && factor < 1)) throw new RangeError(`circles: factor must be in (0, 1), got ${factor}`);
  const r = makeRng(options.seed);
  const points: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const t = 2 * Math.PI * r.next();
    const rad = c === 0 ? 1 : factor;
    points.push([rad * Math.cos(t) + r.normal(0, noise), rad * Math.sin(t) + r.normal(0, noise)]);
    labels.push(c);
  }
  return labeled(points, labels);
}
