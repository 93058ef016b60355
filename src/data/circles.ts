/**
 * Two concentric circles (as scikit-learn's make_circles): class 0 on the
 * unit circle, class 1 on the circle of radius `factor`, plus N(0, noise^2)
 * on each coordinate.
 */
import { checkedOptions, makeRng, noisyPoints, type GeneratorOptions, type LabeledData } from "./types";

export function circles(options: GeneratorOptions & { factor?: number } = {}): LabeledData {
  const factor = options.factor ?? 0.5;
  const { n, noise } = checkedOptions("circles", options, { n: 200 }, 0.05);
  if (!(factor > 0 && factor < 1)) throw new RangeError(`circles: factor must be in (0, 1), got ${factor}`);
  const r = makeRng(options.seed);
  return noisyPoints(n, noise, r, (i) => {
    const c = i % 2;
    const t = 2 * Math.PI * r.next();
    const rad = c === 0 ? 1 : factor;
    return [rad * Math.cos(t), rad * Math.sin(t), c];
  });
}
