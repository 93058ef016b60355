/**
 * Tangent propagation and tangent distance (Deep Learning book 7.14;
 * Simard et al. 1992, 1993).
 *
 * Tangent vectors: for a transform T_a of an image x (translation by a
 * pixels, rotation by a radians, about the image centre) the tangent is
 *   v = dT_a(x)/da at a = 0  ~  (T_delta(x) - T_-delta(x)) / (2 delta)
 * (central finite differences). The default transform is a bilinear warp
 * (outside the image: 0); pass `transform` to use another one, e.g. the
 * augmentation module's.
 *
 * Tangent prop: with J_f(x) the Jacobian of the model's outputs,
 *   Omega = alpha * (1/m) sum_rows sum_i ||J_f(x) v_i||^2
 * i.e. the book's sum_i (grad_x f(x)^T v_i)^2 summed over output units and
 * averaged over the batch. J_f(x) v is computed by a central difference
 * along v, (f(x + eta v) - f(x - eta v)) / (2 eta), eta = 1e-2 by default:
 * exact for a linear model up to float32 rounding, O(eta^2) otherwise (tfjs
 * has no forward-mode differentiation, and double backprop is not available
 * for every op). The two passes run in inference mode (training: false), so
 * both see the same network (no dropout masks, BN moving statistics).
 *
 * Tangent distance (two-sided, Simard et al. 1993): the squared distance
 * between the tangent planes of x and p,
 *   d(x, p) = min_{a, b} ||(p + T_p a) - (x + T_x b)||^2 + ridge (||a||^2 + ||b||^2)
 * (one-sided: only p's plane), solved in closed form in float64; the ridge
 * keeps a and b small, where the linearization holds. `TangentDistanceClassifier`
 * is the nearest-neighbour classifier with it.
 */
import * as tf from "@tensorflow/tfjs";
import type { ObjectiveTerm, PrepareContext, StepContext } from "../training/types";

export type TangentKind = "translateX" | "translateY" | "rotate";

/** A transform of one image (row-major height x width) by `amount` (pixels or radians). */
export type ImageTransform = (image: Float64Array, height: number, width: number, kind: TangentKind, amount: number) => Float64Array;

export interface TangentOptions {
  height: number;
  width: number;
  /** Default ["translateX", "translateY", "rotate"]. */
  kinds?: TangentKind[];
  /** Finite-difference step: pixels for translations, radians for rotation. Default {translate: 0.5, rotate: 0.1}. */
  delta?: { translate?: number; rotate?: number };
  transform?: ImageTransform;
}

const KINDS: readonly TangentKind[] = ["translateX", "translateY", "rotate"];

/** Bilinear warp about the centre: out(p) = in(A^-1 p); pixels sampled outside the image are 0. */
export const bilinearWarp: ImageTransform = (img, h, w, kind, a) => {
  const out = new Float64Array(h * w);
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const cos = Math.cos(a);
  const sin = Math.sin(a);
  const at = (r: number, c: number) => (r >= 0 && r < h && c >= 0 && c < w ? img[r * w + c] : 0);
  for (let r = 0; r < h; r++) {
    for (let c = 0; c < w; c++) {
      let sx = c;
      let sy = r;
      if (kind === "translateX") sx = c - a;
      else if (kind === "translateY") sy = r - a;
      else {
        // Inverse rotation of (c, r) about the centre.
        const dx = c - cx;
        const dy = r - cy;
        sx = cx + cos * dx + sin * dy;
        sy = cy - sin * dx + cos * dy;
      }
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      out[r * w + c] =
        (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
    }
  }
  return out;
};

function settings(o: TangentOptions): { h: number; w: number; kinds: TangentKind[]; dt: number; dr: number; T: ImageTransform } {
  const { height: h, width: w } = o;
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 2 || w < 2) {
    throw new RangeError(`tangents: height and width must be integers >= 2, got ${h} x ${w}`);
  }
  const kinds = o.kinds ?? [...KINDS];
  if (kinds.length === 0 || kinds.some((k) => !KINDS.includes(k))) {
    throw new Error(`tangents: kinds must be among ${KINDS.join(", ")}, got ${JSON.stringify(kinds)}`);
  }
  const dt = o.delta?.translate ?? 0.5;
  const dr = o.delta?.rotate ?? 0.1;
  if (!(dt > 0) || !(dr > 0)) throw new RangeError("tangents: delta steps must be > 0");
  return { h, w, kinds, dt, dr, T: o.transform ?? bilinearWarp };
}

/** Tangent vectors of row-major images (Float64, n rows of h*w): one Float64Array of n*h*w per kind. */
export function tangentArrays(images: ArrayLike<number>, n: number, options: TangentOptions): Float64Array[] {
  const { h, w, kinds, dt, dr, T } = settings(options);
  const d = h * w;
  if (images.length !== n * d) throw new Error(`tangents: expected ${n} images of ${h} x ${w} (${n * d} values), got ${images.length}`);
  return kinds.map((kind) => {
    const delta = kind === "rotate" ? dr : dt;
    const out = new Float64Array(n * d);
    const img = new Float64Array(d);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) img[j] = images[i * d + j];
      const plus = T(img, h, w, kind, delta);
      const minus = T(img, h, w, kind, -delta);
      for (let j = 0; j < d; j++) out[i * d + j] = (plus[j] - minus[j]) / (2 * delta);
    }
    return out;
  });
}

/** Tangent vectors of a batch of images x ([n, h*w] or [n, h, w(, 1)]), as tensors of x's shape (one per kind). */
export function imageTangents(x: tf.Tensor, options: TangentOptions): tf.Tensor[] {
  const n = x.shape[0];
  return tangentArrays(x.dataSync(), n, options).map((a) => tf.tensor(Float32Array.from(a), x.shape, "float32"));
}

/**
 * Tangent prop as an objective term. `tangents` gives the tangent vectors of
 * a batch (each of the batch's shape): `(x) => imageTangents(x, {height, width})`.
 *
 * @example await train(model, data, {terms: tangentProp((x) => imageTangents(x, {height: 8, width: 8}), 0.01)})
 */
export function tangentProp(
  tangents: (x: tf.Tensor) => tf.Tensor[],
  alpha: number,
  options: { eta?: number; name?: string } = {},
): ObjectiveTerm<tf.Tensor[]> {
  if (typeof tangents !== "function") throw new TypeError("tangentProp: tangents must be a function x => tangent vectors [v_1, ...].");
  if (typeof alpha !== "number" || !Number.isFinite(alpha) || alpha < 0) {
    throw new RangeError(`tangentProp: alpha must be a finite number >= 0, got ${String(alpha)}`);
  }
  const eta = options.eta ?? 1e-2;
  if (!(eta > 0)) throw new RangeError(`tangentProp: eta must be > 0, got ${String(options.eta)}`);
  return {
    name: options.name ?? "tangent_prop",
    prepare(ctx: PrepareContext): tf.Tensor[] {
      const vs = tangents(ctx.x);
      if (!Array.isArray(vs) || vs.length === 0 || vs.some((v) => !(v instanceof tf.Tensor) || v.shape.join() !== ctx.x.shape.join())) {
        throw new Error(`tangentProp: tangents(x) must return a non-empty array of tensors of x's shape [${ctx.x.shape}].`);
      }
      return vs;
    },
    value(ctx: StepContext<tf.Tensor[]>): tf.Scalar {
      return tf.mul(tangentPenalty(ctx, ctx.prepared, eta), alpha) as tf.Scalar;
    },
  };
}

/** (1/m) sum_rows sum_i ||J_f(x) v_i||^2 by central differences (all outputs). */
function tangentPenalty(ctx: PrepareContext, vs: tf.Tensor[], eta: number): tf.Scalar {
  const m = ctx.x.shape[0];
  let total: tf.Scalar = tf.scalar(0);
  for (const v of vs) {
    const step = tf.mul(v, eta);
    const up = ctx.forward(tf.add(ctx.x, step), false);
    const down = ctx.forward(tf.sub(ctx.x, step), false);
    up.forEach((u, k) => {
      const jv = tf.div(tf.sub(u, down[k]), 2 * eta);
      total = tf.add(total, tf.div(tf.sum(tf.square(jv)), m)) as tf.Scalar;
    });
  }
  return total;
}

/** Solves the small symmetric positive definite system A z = b in place (Cholesky); returns z. */
function solveSpd(A: Float64Array, b: Float64Array, k: number): Float64Array {
  const L = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * k + j];
      for (let q = 0; q < j; q++) s -= L[i * k + q] * L[j * k + q];
      L[i * k + j] = i === j ? Math.sqrt(Math.max(s, 1e-300)) : s / L[j * k + j];
    }
  }
  const z = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let s = b[i];
    for (let q = 0; q < i; q++) s -= L[i * k + q] * z[q];
    z[i] = s / L[i * k + i];
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = z[i];
    for (let q = i + 1; q < k; q++) s -= L[q * k + i] * z[q];
    z[i] = s / L[i * k + i];
  }
  return z;
}

/**
 * Tangent distance between x and p with tangent matrices Tx, Tp (each a
 * list of d-vectors): min over the planes' coordinates of the squared gap
 * plus ridge times their squared norm. `sided: "one"` moves only p.
 */
export function tangentDistance(
  x: ArrayLike<number>,
  Tx: ArrayLike<number>[],
  p: ArrayLike<number>,
  Tp: ArrayLike<number>[],
  options: { ridge?: number; sided?: "one" | "two" } = {},
): number {
  const ridge = options.ridge ?? 0.1;
  const cols = options.sided === "one" ? Tp.map((t) => ({ t, s: 1 })) : [...Tp.map((t) => ({ t, s: 1 })), ...Tx.map((t) => ({ t, s: -1 }))];
  const d = x.length;
  const k = cols.length;
  const r = new Float64Array(d);
  for (let j = 0; j < d; j++) r[j] = x[j] - p[j];
  // min_c ||A c - r||^2 + ridge ||c||^2 with A = [Tp, -Tx]: residual = r.r - b^T (A^T A + ridge I)^-1 b, b = A^T r.
  const G = new Float64Array(k * k);
  const b = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const ti = cols[i].t;
    for (let j = 0; j < d; j++) b[i] += cols[i].s * ti[j] * r[j];
    for (let q = 0; q <= i; q++) {
      const tq = cols[q].t;
      let s = 0;
      for (let j = 0; j < d; j++) s += ti[j] * tq[j];
      G[i * k + q] = G[q * k + i] = cols[i].s * cols[q].s * s;
    }
    G[i * k + i] += ridge;
  }
  let rr = 0;
  for (let j = 0; j < d; j++) rr += r[j] * r[j];
  if (k === 0) return rr;
  const z = solveSpd(G, b, k);
  let fit = 0;
  for (let i = 0; i < k; i++) fit += b[i] * z[i];
  return Math.max(0, rr - fit);
}

/** 1-nearest-neighbour classification with the tangent distance (small training sets: O(n_train * n_query) solves). */
export class TangentDistanceClassifier {
  private prototypes: Float64Array[] = [];
  private tangents: Float64Array[][] = [];
  private labels: Int32Array = new Int32Array(0);
  constructor(private readonly options: TangentOptions & { ridge?: number; sided?: "one" | "two" }) {
    settings(options);
  }

  /** Stores the training images ([n, h*w]) with their tangent vectors. */
  fit(x: tf.Tensor, labels: ArrayLike<number>): this {
    const n = x.shape[0];
    if (labels.length !== n) throw new Error(`TangentDistanceClassifier: ${n} images, ${labels.length} labels.`);
    const { rows, tangents } = this.describe(x);
    this.prototypes = rows;
    this.tangents = tangents;
    this.labels = Int32Array.from(labels);
    return this;
  }

  /** The nearest prototype's label for each row of x. */
  predict(x: tf.Tensor): Int32Array {
    if (this.prototypes.length === 0) throw new Error("TangentDistanceClassifier: call fit first.");
    const { rows, tangents } = this.describe(x);
    const out = new Int32Array(rows.length);
    rows.forEach((q, i) => {
      let best = Infinity;
      this.prototypes.forEach((p, j) => {
        const dist = tangentDistance(q, tangents[i], p, this.tangents[j], this.options);
        if (dist < best) {
          best = dist;
          out[i] = this.labels[j];
        }
      });
    });
    return out;
  }

  private describe(x: tf.Tensor): { rows: Float64Array[]; tangents: Float64Array[][] } {
    const n = x.shape[0];
    const d = this.options.height * this.options.width;
    if (x.size !== n * d) {
      throw new Error(
        `TangentDistanceClassifier: rows must have ${d} values (${this.options.height} x ${this.options.width}), got [${x.shape}]`,
      );
    }
    const data = x.dataSync();
    const ts = tangentArrays(data, n, this.options);
    const rows = Array.from({ length: n }, (_, i) => Float64Array.from(data.subarray(i * d, (i + 1) * d)));
    return { rows, tangents: rows.map((_, i) => ts.map((t) => t.subarray(i * d, (i + 1) * d))) };
  }
}
