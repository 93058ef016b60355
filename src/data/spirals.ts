/**
 * Interleaved spirals (the TensorFlow Playground / CS231n data): class k
 * has radius r = i/m in [0, 1] and angle theta = turns*2*pi*r + 2*pi*k/K,
 * plus N(0, noise^2) on each coordinate.
 */
import { checkedOptions, makeRng, noisyPoints, type GeneratorOptions, type LabeledData } from "./types";

export function spirals(options: GeneratorOptions & { classes?: number; turns?: number } = {}): LabeledData {
  const turns = options.turns ?? 1;
  const { n, classes, noise } = checkedOptions("spirals", options, { n: 300, classes: 2 }, 0.05);
  const r = makeRng(options.seed);
  const perClass = Math.ceil(n / classes);
  return noisyPoints(n, noise, r, (i) => {
    const c = i % classes;
    const j = Math.floor(i / classes);
    const rad = perClass > 1 ? j / (perClass - 1) : 1;
    const theta = turns * 2 * Math.PI * rad + (2 * Math.PI * c) / classes;
    return [rad * Math.cos(theta), rad * Math.sin(theta), c];
  });
}
