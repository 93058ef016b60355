/**
 * Why ensembles help: the error of an average (Deep Learning book 7.11,
 * eqs. 7.50-7.51).
 *
 * k members make errors e_1..e_k with E[e_i^2] = v and E[e_i e_j] = c
 * (i != j). The average prediction has error (1/k) sum_i e_i and
 *
 *   E[((1/k) sum_i e_i)^2] = v/k + (k - 1) c / k.
 *
 * Uncorrelated errors (c = 0): the MSE falls as v/k; perfectly correlated
 * (c = v): no gain. With k = 10, v = 1: 0.1, 0.55, 1.0 for c = 0, 0.5, 1.
 *
 * Convention: v and c are RAW second moments averaged over examples (not
 * centred covariances), since the formula is about E[e^2], and v, c are
 * averaged over members / ordered pairs. With these sample moments the
 * formula reproduces the observed ensemble MSE exactly (it is an algebraic
 * identity); the numbers show how much of v survives averaging.
 */
import { rng as makeRng } from "../random/seed";

export interface EnsembleErrorAnalysis {
  /** Number of members k. */
  k: number;
  /** Number of examples. */
  n: number;
  /** v: mean over members of the mean squared error. */
  variance: number;
  /** c: mean over ordered pairs i != j of the mean of e_i * e_j. */
  covariance: number;
  /** c / v. */
  correlation: number;
  /** v/k + (k-1)c/k (7.50-7.51). */
  predictedMse: number;
  /** Mean over examples of the squared error of the averaged prediction. */
  observedMse: number;
  /** Average member MSE (= v). */
  meanMemberMse: number;
}

/**
 * Analyse member errors: `memberErrors[i][j]` = prediction of member i on
 * example j minus the target.
 */
export function ensembleErrorAnalysis(memberErrors: ArrayLike<number>[]): EnsembleErrorAnalysis {
  const k = memberErrors.length;
  if (k < 2) throw new Error(`ensembleErrorAnalysis: needs at least 2 members, got ${k}`);
  const n = memberErrors[0].length;
  if (n < 1) throw new Error("ensembleErrorAnalysis: no examples");
  memberErrors.forEach((e, i) => {
    if (e.length !== n) throw new Error(`ensembleErrorAnalysis: member ${i} has ${e.length} errors, member 0 has ${n}`);
  });
  let sq = 0;
  let observed = 0;
  let sumSq = 0; // sum over examples of (sum_i e_i)^2
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let i = 0; i < k; i++) {
      const e = memberErrors[i][j];
      s += e;
      sq += e * e;
    }
    sumSq += s * s;
    observed += (s / k) ** 2;
  }
  const v = sq / (k * n);
  // sum_{i != j} e_i e_j = (sum e)^2 - sum e^2, averaged over k(k-1) ordered pairs and n examples.
  const c = (sumSq - sq) / (k * (k - 1) * n);
  return {
    k,
    n,
    variance: v,
    covariance: c,
    correlation: v > 0 ? c / v : NaN,
    predictedMse: v / k + ((k - 1) * c) / k,
    observedMse: observed / n,
    meanMemberMse: v,
  };
}

/**
 * Simulated member errors with E[e_i^2] = variance and E[e_i e_j] =
 * covariance: e_i = sqrt(c) z_0 + sqrt(v - c) z_i with independent standard
 * normals (needs 0 <= c <= v). Returns [k][n].
 */
export function correlatedErrors(k: number, n: number, options: { variance?: number; covariance: number; seed?: number }): Float64Array[] {
  const v = options.variance ?? 1;
  const c = options.covariance;
  if (!(c >= 0 && c <= v)) throw new RangeError(`correlatedErrors: need 0 <= covariance <= variance, got c = ${c}, v = ${v}`);
  if (!Number.isInteger(k) || k < 1 || !Number.isInteger(n) || n < 1)
    throw new RangeError("correlatedErrors: k and n must be positive integers");
  const r = makeRng(options.seed);
  const out = Array.from({ length: k }, () => new Float64Array(n));
  const a = Math.sqrt(c);
  const b = Math.sqrt(v - c);
  for (let j = 0; j < n; j++) {
    const shared = r.normal();
    for (let i = 0; i < k; i++) out[i][j] = a * shared + b * r.normal();
  }
  return out;
}
