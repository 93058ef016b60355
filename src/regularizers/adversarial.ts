/**
 * Adversarial examples and adversarial training (Deep Learning book 7.13;
 * Goodfellow, Shlens & Szegedy 2014; Madry et al. 2018 for PGD).
 *
 * FGSM (fast gradient sign method), one step in the L-infinity ball:
 *
 *   x_adv = clip( x + epsilon * sign(grad_x J(theta, x, y)), lo, hi )
 *
 * PGD (projected gradient descent on -J, i.e. ascent on J), L-infinity:
 *
 *   x_0     = x                    (or x + U(-epsilon, epsilon) with randomStart)
 *   x_{t+1} = clip( Proj_{||x' - x||_inf <= epsilon}( x_t + stepSize * sign(grad_x J(x_t)) ), lo, hi )
 *
 * The projection is an elementwise clip to [x - epsilon, x + epsilon]; the
 * data-range clip comes after it and can only move a value towards x, so
 * every iterate stays in the ball.
 *
 * J is the MEAN loss over the batch (as in `train`); its sign is the same as
 * the sign of each example's own loss gradient, so one batched gradient
 * attacks every row independently. The gradient is taken with the model in
 * inference mode (`training: false`: no dropout, and batch normalization uses
 * and does not update its moving statistics), so an attack never changes
 * the model; pass `training: true` to attack the stochastic network.
 *
 * For a linear model f(x) = W^T x + b the attack moves logit k by
 * epsilon * w_k . sign(g); pushing up logit j against k changes the margin
 * z_j - z_k by exactly epsilon * ||w_j - w_k||_1 when sign(g) = sign(w_j - w_k)
 * (the book's eps*||w||_1 for a single output).
 *
 * Adversarial training minimizes (Goodfellow et al. 2014, w = 0.5)
 *
 *   J~ = (1 - w) * J(theta, x, y) + w * J(theta, x_adv, y)
 *
 * where x_adv is recomputed every step from the current weights and treated
 * as a constant (no gradient flows through its construction). As an
 * objective term: dataWeight 1 - w, value w * J(x_adv) (reported under
 * "adversarial"); the adversarial forward pass runs in training mode like the
 * clean one.
 *
 * tfjs: `tf.grad` with respect to inputs works on every backend (wasm
 * included); there is no FGSM/PGD in tfjs, Keras or PyTorch core.
 */
import * as tf from "@tensorflow/tfjs";
import { forward } from "../training/model-adapter";
import { resolveLoss, type LossSpec } from "../training/losses";
import type { ObjectiveTerm, PrepareContext, StepContext, Trainable } from "../training/types";

export interface AttackOptions {
  /** Clip the result to the data range [lo, hi] (e.g. [0, 1] for scaled pixels). */
  clip?: [number, number];
  /** Loss J by name or function. Default "categoricalCrossentropy" (one-hot y, softmax outputs). */
  loss?: LossSpec;
  /** Attack the network in training mode (dropout on). Default false. */
  training?: boolean;
}

export interface PgdOptions extends AttackOptions {
  /** Radius of the L-infinity ball. */
  epsilon: number;
  /** Step size alpha of each signed-gradient step. Default 2.5 * epsilon / steps (Madry et al.). */
  stepSize?: number;
  /** Number of steps. Default 10. */
  steps?: number;
  /** Start from a uniform point of the ball instead of x. Default false. */
  randomStart?: boolean;
}

/** J as a function of the input only. */
type InputLoss = (x: tf.Tensor) => tf.Scalar;

function checkEpsilon(eps: number, where: string): void {
  if (typeof eps !== "number" || !Number.isFinite(eps) || eps < 0) {
    throw new RangeError(`${where}: epsilon must be a finite number >= 0, got ${String(eps)}`);
  }
}

function checkClip(clip: [number, number] | undefined, where: string): void {
  if (clip === undefined) return;
  if (!Array.isArray(clip) || clip.length !== 2 || !(clip[0] < clip[1])) {
    throw new RangeError(`${where}: clip must be [lo, hi] with lo < hi, got ${JSON.stringify(clip)}`);
  }
}

function single(outs: tf.Tensor[], where: string): tf.Tensor {
  if (outs.length !== 1) {
    throw new Error(
      `${where}: the model has ${outs.length} outputs; attacks take single-output models (train's adversarial option takes any).`,
    );
  }
  return outs[0];
}

function inputLoss(model: Trainable, y: tf.Tensor, options: AttackOptions, where: string): InputLoss {
  const loss = resolveLoss(options.loss ?? "categoricalCrossentropy");
  const training = options.training ?? false;
  return (x) => loss(y, single(forward(model, x, training), where));
}

function checkInputs(x: tf.Tensor, y: tf.Tensor, where: string): void {
  if (!(x instanceof tf.Tensor) || !(y instanceof tf.Tensor)) throw new TypeError(`${where}: x and y must be tensors.`);
  if (x.shape[0] !== y.shape[0]) throw new Error(`${where}: x has ${x.shape[0]} rows, y has ${y.shape[0]}.`);
}

/** sign(grad_x J(x)), computed as a constant (nothing else is recorded). */
function gradSign(J: InputLoss, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.sign(tf.grad((xx: tf.Tensor) => J(xx))(x)));
}

function clipRange(x: tf.Tensor, clip: [number, number] | undefined): tf.Tensor {
  return clip ? tf.clipByValue(x, clip[0], clip[1]) : x;
}

function fgsmCore(J: InputLoss, x: tf.Tensor, epsilon: number, clip?: [number, number]): tf.Tensor {
  return tf.tidy(() => clipRange(tf.add(x, tf.mul(gradSign(J, x), epsilon)), clip));
}

/** PGD settings after defaults and checks. */
type PgdSettings = Required<Pick<PgdOptions, "epsilon" | "stepSize" | "steps" | "randomStart">> & { clip?: [number, number] };

function pgdCore(J: InputLoss, x: tf.Tensor, o: PgdSettings): tf.Tensor {
  return tf.tidy(() => {
    const lo = tf.sub(x, o.epsilon);
    const hi = tf.add(x, o.epsilon);
    let xt: tf.Tensor = o.randomStart ? clipRange(tf.add(x, tf.randomUniform(x.shape, -o.epsilon, o.epsilon)), o.clip) : x;
    for (let t = 0; t < o.steps; t++) {
      const next = tf.tidy(() => clipRange(tf.minimum(tf.maximum(tf.add(xt, tf.mul(gradSign(J, xt), o.stepSize)), lo), hi), o.clip));
      if (xt !== x) xt.dispose();
      xt = next;
    }
    return xt === x ? x.clone() : xt;
  });
}

function pgdSettings(o: PgdOptions, where: string): PgdSettings {
  checkEpsilon(o.epsilon, where);
  checkClip(o.clip, where);
  const steps = o.steps ?? 10;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`${where}: steps must be a positive integer, got ${String(o.steps)}`);
  const stepSize = o.stepSize ?? (2.5 * o.epsilon) / steps;
  if (typeof stepSize !== "number" || !Number.isFinite(stepSize) || stepSize < 0) {
    throw new RangeError(`${where}: stepSize must be a finite number >= 0, got ${String(o.stepSize)}`);
  }
  return { epsilon: o.epsilon, stepSize, steps, randomStart: o.randomStart ?? false, clip: o.clip };
}

/**
 * FGSM: x + epsilon * sign(grad_x J(x, y)), clipped to `clip` when given.
 * Returns a new tensor; the model and the inputs are unchanged.
 *
 * @example const xAdv = fgsm(model, x, yOneHot, 0.25, {clip: [0, 1]})
 */
export function fgsm(model: Trainable, x: tf.Tensor, y: tf.Tensor, epsilon: number, options: AttackOptions = {}): tf.Tensor {
  checkEpsilon(epsilon, "fgsm");
  checkClip(options.clip, "fgsm");
  checkInputs(x, y, "fgsm");
  return fgsmCore(inputLoss(model, y, options, "fgsm"), x, epsilon, options.clip);
}

/**
 * PGD with L-infinity projection (see the module header). Returns a new
 * tensor within epsilon of x in every coordinate (and inside `clip`).
 *
 * @example const xAdv = pgd(model, x, y, {epsilon: 0.1, steps: 10, clip: [0, 1], randomStart: true})
 */
export function pgd(model: Trainable, x: tf.Tensor, y: tf.Tensor, options: PgdOptions): tf.Tensor {
  const o = pgdSettings(options, "pgd");
  checkInputs(x, y, "pgd");
  return pgdCore(inputLoss(model, y, options, "pgd"), x, o);
}

/** Options of adversarial training (`train(..., {adversarial})` or `adversarialTraining(...)`). */
export interface AdversarialTrainingOptions {
  /** "fgsm" (default) or "pgd". */
  method?: "fgsm" | "pgd";
  /** L-infinity radius. */
  epsilon: number;
  /** w in (1 - w) J(x) + w J(x_adv). Default 0.5. */
  weight?: number;
  /** Data range of x. */
  clip?: [number, number];
  /** PGD only. */
  steps?: number;
  stepSize?: number;
  randomStart?: boolean;
  /** History key. Default "adversarial". */
  name?: string;
}

/**
 * Adversarial training as an objective term: dataWeight 1 - w and value
 * w * J(x_adv), with x_adv made (FGSM or PGD, inference mode) from the
 * current weights before the gradient tape records anything.
 *
 * @example await train(model, data, {terms: adversarialTraining({epsilon: 0.1, clip: [0, 1]}), loss: "categoricalCrossentropy"})
 * @example await train(model, data, {adversarial: {method: "fgsm", epsilon: 0.1, weight: 0.5}, ...})
 */
export function adversarialTraining(options: AdversarialTrainingOptions): ObjectiveTerm<tf.Tensor> {
  if (!options || typeof options !== "object") throw new TypeError("adversarial: options must be {method, epsilon, weight}.");
  const method = options.method ?? "fgsm";
  if (method !== "fgsm" && method !== "pgd") throw new Error(`adversarial: method must be "fgsm" or "pgd", got ${String(method)}`);
  const weight = options.weight ?? 0.5;
  if (typeof weight !== "number" || !(weight >= 0 && weight <= 1)) {
    throw new RangeError(`adversarial: weight must be in [0, 1], got ${String(weight)}`);
  }
  checkEpsilon(options.epsilon, "adversarial");
  checkClip(options.clip, "adversarial");
  const p = method === "pgd" ? pgdSettings({ ...options }, "adversarial") : null;
  return {
    name: options.name ?? "adversarial",
    dataWeight: 1 - weight,
    prepare(ctx: PrepareContext): tf.Tensor {
      const J: InputLoss = (xx) => ctx.loss(ctx.ys, ctx.forward(xx, false));
      return p ? pgdCore(J, ctx.x, p) : fgsmCore(J, ctx.x, options.epsilon, options.clip);
    },
    value(ctx: StepContext<tf.Tensor>): tf.Scalar {
      return tf.mul(ctx.loss(ctx.ys, ctx.forward(ctx.prepared, true)), weight) as tf.Scalar;
    },
  };
}
