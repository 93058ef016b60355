/**
 * Two interleaving half circles (as scikit-learn's make_moons): class 0 on
 * (cos t, sin t), class 1 on (1 - cos t, 1/2 - sin t), t ~ U[0, pi], plus
 * N(0, noise^2) on each coordinate. Classes alternate, so any prefix is
 * balanced.
 */
import { checkCount, checkNoise, labeled, makeRng, type GeneratorOptions, type LabeledData } from "./types";

export function twoMoons(options: GeneratorOptions = {}): LabeledData {
  const n = options.n ?? 200;
  const noise = options.noise ?? 0.1;
  checkCount("twoMoons: n", n);
  checkNoise(noise);
  const r = makeRng(options.seed);
  const points: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    const t = Math.PI * r.next();
    const [a, b] = c === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
    points.push([a + r.normal(0, noise), b + r.normal(0, noise)]);
    labels.push(c);
  }
  return labeled(points, labels);
}
