/**
 * Gaussian blobs (as scikit-learn's make_blobs): class k ~ N(c_k, std^2 I).
 * `centers` is a number of classes (centers drawn uniformly in [-box, box]^d)
 * or explicit coordinates. Classes are assigned round-robin.
 */
import { checkCount, labeled, makeRng, type GeneratorOptions, type LabeledData } from "./types";

export interface BlobsOptions extends GeneratorOptions {
  /** Number of blobs or their centers. Default 3. */
  centers?: number | number[][];
  /** Dimension when centers is a number. Default 2. */
  dims?: number;
  /** Std of each blob (`noise` is an alias). Default 1. */
  std?: number;
  /** Half-width of the box centers are drawn in. Default 5. */
  box?: number;
}

export function blobs(options: BlobsOptions = {}): LabeledData & { centers: number[][] } {
  const n = options.n ?? 300;
  checkCount("blobs: n", n);
  const std = options.std ?? options.noise ?? 1;
  if (!(std >= 0)) throw new RangeError(`blobs: std must be >= 0, got ${std}`);
  const r = makeRng(options.seed);
  let centers: number[][];
  if (Array.isArray(options.centers)) {
    centers = options.centers;
    if (!centers.length || centers.some((c) => c.length !== centers[0].length))
      throw new RangeError("blobs: centers must be a non-empty list of equal-length points");
  } else {
    const k = options.centers ?? 3;
    const d = options.dims ?? 2;
    checkCount("blobs: centers", k);
    checkCount("blobs: dims", d);
    const box = options.box ?? 5;
    centers = Array.from({ length: k }, () => Array.from({ length: d }, () => box * (2 * r.next() - 1)));
  }
  const points: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % centers.length;
    points.push(centers[c].map((m) => r.normal(m, std)));
    labels.push(c);
  }
  return { ...labeled(points, labels), centers };
}
