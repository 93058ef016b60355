/**
 * Norm constraints as projections (book sec. 7.2): instead of a penalty,
 * keep Omega(theta) <= k by projecting theta back onto the feasible set after
 * every gradient step (projected gradient descent).
 *
 * - `maxNorm(c, axis = 0)`: each unit's incoming weight vector w (a column
 *   of a dense kernel [in, out]: norms over axis 0) is rescaled to
 *   w * min(1, c / ||w||_2) (Srebro & Shraibman 2005; Hinton et al. 2012
 *   use c ~ 3-4). Weights already inside the ball are left EXACTLY as they
 *   are (factor 1), unlike Keras' w * clip(n, 0, c) / (eps + n).
 * - `unitNorm(axis = 0)`: w / ||w||_2.
 * - `nonNeg()`: max(w, 0).
 *
 * tfjs accepts `kernelConstraint` on layers but `model.fit` never applies it
 * (tfjs #3345, #3979). `train` applies both these projections and the
 * layers' own constraints after every update; for `fit`, use
 * `constraintCallback`, which projects in `onBatchEnd`.
 */
import * as tf from "@tensorflow/tfjs";
import { isKernelVariable } from "./norm-penalties";

/** A projection onto a convex set of weights. */
export interface Projection {
  readonly name: string;
  /** The projected tensor (a new tensor; `w` is not modified). */
  apply(w: tf.Tensor): tf.Tensor;
}

/** A projection and the variables it applies to (default: kernels). */
export interface ScopedProjection {
  projection: Projection;
  /** Variable filter: a predicate, a RegExp on the name, or a list of names. Default kernels only. */
  variables?: ((v: tf.Variable) => boolean) | RegExp | string[];
}

export type ConstraintSpec = Projection | ScopedProjection;

function checkPositive(what: string, v: number): void {
  if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v))
    throw new RangeError(`${what} must be a finite number > 0, got ${String(v)}`);
}

function normAxis(w: tf.Tensor, axis: number | number[]): tf.Tensor {
  return tf.sqrt(tf.sum(tf.square(w), axis, true));
}

/** Each slice along `axis` (default 0: a dense unit's incoming weights) gets norm <= c. */
export function maxNorm(c: number, axis: number | number[] = 0): Projection {
  checkPositive("maxNorm: c", c);
  return {
    name: `maxNorm(${c})`,
    apply: (w) =>
      tf.tidy(() => {
        const n = normAxis(w, axis);
        // min(1, c/n); n = 0 gives Infinity -> 1.
        return tf.mul(w, tf.minimum(1, tf.div(c, n)));
      }),
  };
}

/** Each slice along `axis` gets norm exactly 1 (zero slices stay zero). */
export function unitNorm(axis: number | number[] = 0): Projection {
  return {
    name: "unitNorm",
    apply: (w) => tf.tidy(() => tf.divNoNan(w, normAxis(w, axis))),
  };
}

/** Negative weights are set to 0. */
export function nonNeg(): Projection {
  return { name: "nonNeg", apply: (w) => tf.relu(w) };
}

function isScoped(c: ConstraintSpec): c is ScopedProjection {
  return typeof (c as ScopedProjection).projection === "object";
}

function selector(v: ScopedProjection["variables"]): (x: tf.Variable) => boolean {
  if (v === undefined) return isKernelVariable;
  if (typeof v === "function") return v;
  if (v instanceof RegExp) return (x) => v.test(x.name);
  return (x) => v.includes(x.name);
}

/** A variable and the projections to apply to it, in order. */
export type BoundProjection = { variable: tf.Variable; apply: (w: tf.Tensor) => tf.Tensor };

interface LayerVariableLike {
  read(): tf.Tensor;
  constraint?: { apply(w: tf.Tensor): tf.Tensor } | null;
}

/**
 * The projections for a model: the layers' own constraints (LayersModel)
 * followed by `specs`, each bound to its variables.
 */
export function collectConstraints(model: unknown, variables: tf.Variable[], specs?: ConstraintSpec | ConstraintSpec[]): BoundProjection[] {
  const out: BoundProjection[] = [];
  if (model instanceof tf.LayersModel) {
    for (const w of model.trainableWeights as unknown as LayerVariableLike[]) {
      const c = w.constraint;
      if (c) out.push({ variable: w.read() as tf.Variable, apply: (t) => c.apply(t) });
    }
  }
  const list = specs === undefined ? [] : Array.isArray(specs) ? specs : [specs];
  for (const spec of list) {
    const scoped: ScopedProjection = isScoped(spec) ? spec : { projection: spec };
    if (!scoped.projection || typeof scoped.projection.apply !== "function") {
      throw new TypeError("constraints: expected maxNorm(c), unitNorm(), nonNeg() or {projection, variables}.");
    }
    const pick = selector(scoped.variables);
    for (const v of variables) if (pick(v)) out.push({ variable: v, apply: (t) => scoped.projection.apply(t) });
  }
  return out;
}

/** Project every bound variable in place. */
export function applyProjections(bound: BoundProjection[]): void {
  tf.tidy(() => {
    for (const b of bound) b.variable.assign(b.apply(b.variable));
  });
}

/**
 * A `model.fit` callback that really applies constraints: after every batch
 * it projects the layers' own `kernelConstraint`s/`biasConstraint`s (which
 * fit ignores) and the given extra projections.
 */
export function constraintCallback(model: tf.LayersModel, specs?: ConstraintSpec | ConstraintSpec[]): tf.CustomCallback {
  let bound: BoundProjection[] | null = null;
  return new tf.CustomCallback({
    onBatchEnd: async () => {
      bound ??= collectConstraints(
        model,
        model.trainableWeights.map((w) => w.read() as tf.Variable),
        specs,
      );
      applyProjections(bound);
    },
  });
}

/**
 * Projected gradient descent on a function of a vector, for 2-D demos:
 * x <- P(x - lr * grad f(x)), `steps` times. Returns the path including x0.
 */
export function projectedGradientDescent(
  f: (x: tf.Tensor1D) => tf.Scalar,
  x0: number[],
  project: Projection | ((x: tf.Tensor1D) => tf.Tensor1D) | null,
  options: { lr?: number; steps?: number } = {},
): number[][] {
  const lr = options.lr ?? 0.1;
  const steps = options.steps ?? 100;
  const proj =
    project === null
      ? (x: tf.Tensor1D) => x
      : typeof project === "function"
        ? project
        : (x: tf.Tensor1D) => project.apply(x) as tf.Tensor1D;
  const g = tf.grad(f as (x: tf.Tensor) => tf.Tensor);
  const path: number[][] = [x0.slice()];
  let x = x0.slice();
  for (let s = 0; s < steps; s++) {
    x = tf.tidy(() => {
      const xt = tf.tensor1d(x);
      return Array.from(proj(tf.sub(xt, tf.mul(lr, g(xt))) as tf.Tensor1D).dataSync());
    });
    path.push(x);
  }
  return path;
}

/** Projection onto the L2 ball of radius r (the whole tensor). */
export function l2Ball(r: number): Projection {
  checkPositive("l2Ball: r", r);
  return { name: `l2Ball(${r})`, apply: (w) => tf.tidy(() => tf.mul(w, tf.minimum(1, tf.div(r, tf.norm(w))))) };
}
