/**
 * Interleaved spirals (the TensorFlow Playground / CS231n data): class k
 * has radius r = i/m in [0, 1] and angle theta = turns*2*pi*r + 2*pi*k/K,
 * plus N(0, noise^2) on each coordinate.
 */
import { checkCount, checkNoise, labeled, makeRng, type GeneratorOptions, type LabeledData } from "./types";

export function spirals(options: GeneratorOptions & { classes?: number; turns?: number } = {}): LabeledData {
  const n = options.n ?? 300;
  const noise = options.noise ?? 0.05;
  const classes = options.classes ?? 2;
  const turns = options.turns ?? 1;
  checkCount("spirals: n", n);
  checkCount("spirals: classes", classes);
  checkNoise(noise);
  const r = makeRng(options.seed);
  const points: number[][] = [];
  const labels: number[] = [];
  const perClass = Math.ceil(n / classes);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    const j = Math.floor(i / classes);
    const rad = perClass > 1 ? j / (perClass - 1) : 1;
    const theta = turns * 2 * Math.PI * rad + (2 * Math.PI * c) / classes;
    points.push([rad * Math.cos(theta) + r.normal(0, noise), rad * Math.sin(theta) + r.normal(0, noise)]);
    labels.push(c);
  }
  return labeled(points, labels);
}
