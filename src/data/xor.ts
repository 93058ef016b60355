/**
 * XOR (TensorFlow Playground): points uniform in [-1, 1]^2 with a margin
 * `margin` kept away from the axes; label 1 when x1*x2 > 0 (quadrants 1 and
 * 3), else 0; then N(0, noise^2) on each coordinate (labels are those of the
 * clean point, so noise blurs the boundary).
 */
import { checkedOptions, makeRng, noisyPoints, type GeneratorOptions, type LabeledData } from "./types";

export function xor(options: GeneratorOptions & { margin?: number } = {}): LabeledData {
  const margin = options.margin ?? 0.05;
  const { n, noise } = checkedOptions("xor", options, { n: 200 }, 0.05);
  const r = makeRng(options.seed);
  const coord = () => {
    const v = margin + (1 - margin) * r.next();
    return r.next() < 0.5 ? -v : v;
  };
  return noisyPoints(n, noise, r, () => {
    const a = coord();
    const b = coord();
    return [a, b, a * b > 0 ? 1 : 0];
  });
}
