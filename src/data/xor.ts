/**
 * XOR (TensorFlow Playground): points uniform in [-1, 1]^2 with a margin
 * `margin` kept away from the axes; label 1 when x1*x2 > 0 (quadrants 1 and
 * 3), else 0; then N(0, noise^2) on each coordinate (labels are those of the
 * clean point, so noise blurs the boundary).
 */
import { checkCount, checkNoise, labeled, makeRng, type GeneratorOptions, type LabeledData } from "./types";

export function xor(options: GeneratorOptions & { margin?: number } = {}): LabeledData {
  const n = options.n ?? 200;
  const noise = options.noise ?? 0.05;
  const margin = options.margin ?? 0.05;
  checkCount("xor: n", n);
  checkNoise(noise);
  const r = makeRng(options.seed);
  const points: number[][] = [];
  const labels: number[] = [];
  const coord = () => {
    const v = margin + (1 - margin) * r.next();
    return r.next() < 0.5 ? -v : v;
  };
  for (let i = 0; i < n; i++) {
    const a = coord();
    const b = coord();
    points.push([a + r.normal(0, noise), b + r.normal(0, noise)]);
    labels.push(a * b > 0 ? 1 : 0);
  }
  return labeled(points, labels);
}
