/**
 * Two interleaving half circles (as scikit-learn's make_moons): class 0 on
 * (cos t, sin t), class 1 on (1 - cos t, 1/2 - sin t), t ~ U[0, pi], plus
 * N(0, noise^2) on each coordinate. Classes alternate, so any prefix is
 * balanced.
 */
import { checkedOptions, makeRng, noisyPoints, type GeneratorOptions, type LabeledData } from "./types";

export function twoMoons(options: GeneratorOptions = {}): LabeledData {
  const { n, noise } = checkedOptions("twoMoons", options, { n: 200 }, 0.1);
  const r = makeRng(options.seed);
  return noisyPoints(n, noise, r, (i) => {
    const c = i % 2;
    const t = Math.PI * r.next();
    return c === 0 ? [Math.cos(t), Math.sin(t), c] : [1 - Math.cos(t), 0.5 - Math.sin(t), c];
  });
}
