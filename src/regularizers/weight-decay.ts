/**
 * Decoupled weight decay (Loshchilov & Hutter 2019, "Decoupled Weight Decay
 * Regularization"): before each optimizer step the decayed variables are
 * shrunk, w <- w - lr * lambda * w, independently of the gradient, then the
 * base optimizer (Adam / SGD) applies its own update. This is PyTorch's
 * `AdamW(weight_decay=lambda)` convention (decay scaled by the learning rate).
 *
 * For plain SGD this equals an L2 penalty with the book's alpha = lambda
 * (eq. 7.5: w <- (1 - eps*alpha) w - eps*grad J); for Adam it does NOT (the
 * penalty's gradient would be rescaled by Adam's per-parameter step size),
 * which is why AdamW exists.
 *
 * Only variables that look like kernels are decayed by default (see
 * `isKernelVariable`); pass `decay: (name) => boolean` to choose. The
 * optimizers subclass tfjs's, so they work in `train` and in `model.fit`
 * (the decay happens inside `applyGradients`, which `fit` calls), and are
 * registered with tf.serialization as "AdamW" and "SGDW".
 */
import * as tf from "@tensorflow/tfjs";
import { isKernelVariable } from "./norm-penalties";

export interface WeightDecayOptions {
  /** lambda in w <- w - lr*lambda*w. Default 0.01 (PyTorch's AdamW default). */
  weightDecay?: number;
  /** Which variables (by name) to decay. Default: kernels only. */
  decay?: (variableName: string, variable: tf.Variable) => boolean;
}

// tfjs does not re-export NamedTensor / NamedVariableMap; take the type from the method.
type GradInput = Parameters<tf.AdamOptimizer["applyGradients"]>[0];
type SgdGradInput = Parameters<tf.SGDOptimizer["applyGradients"]>[0];

function checkDecay(wd: number): number {
  if (typeof wd !== "number" || !Number.isFinite(wd) || wd < 0) {
    throw new RangeError(`weightDecay must be a finite number >= 0, got ${String(wd)}`);
  }
  return wd;
}

/** w <- (1 - lr*lambda) w for the selected variables that receive a gradient. */
function decayVariables(grads: GradInput | SgdGradInput, lr: number, wd: number, select: WeightDecayOptions["decay"]): void {
  if (wd === 0) return;
  const names = Array.isArray(grads) ? grads.map((g) => g.name) : Object.keys(grads);
  const registry = tf.engine().registeredVariables;
  tf.tidy(() => {
    for (const name of names) {
      const v = registry[name];
      if (!v) continue;
      const chosen = select ? select(name, v) : isKernelVariable(v);
      if (chosen) v.assign(tf.mul(v, 1 - lr * wd));
    }
  });
}

/** Adam with decoupled weight decay (PyTorch AdamW convention). */
export class AdamW extends tf.AdamOptimizer {
  static override get className(): string {
    return "AdamW";
  }
  readonly weightDecay: number;
  private readonly select: WeightDecayOptions["decay"];

  constructor(learningRate = 0.001, options: WeightDecayOptions & { beta1?: number; beta2?: number; epsilon?: number } = {}) {
    super(learningRate, options.beta1 ?? 0.9, options.beta2 ?? 0.999, options.epsilon ?? 1e-7);
    this.weightDecay = checkDecay(options.weightDecay ?? 0.01);
    this.select = options.decay;
  }

  override applyGradients(variableGradients: GradInput): void {
    decayVariables(variableGradients, this.learningRate, this.weightDecay, this.select);
    super.applyGradients(variableGradients);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), weightDecay: this.weightDecay };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new AdamW(config.learningRate as number, {
      beta1: config.beta1 as number,
      beta2: config.beta2 as number,
      epsilon: config.epsilon as number,
      weightDecay: config.weightDecay as number,
    }) as unknown as T;
  }
}

/** SGD with decoupled weight decay: w <- w - lr*lambda*w - lr*grad. */
export class SGDW extends tf.SGDOptimizer {
  static override get className(): string {
    return "SGDW";
  }
  readonly weightDecay: number;
  private readonly select: WeightDecayOptions["decay"];

  constructor(learningRate = 0.01, options: WeightDecayOptions = {}) {
    super(learningRate);
    this.weightDecay = checkDecay(options.weightDecay ?? 0.01);
    this.select = options.decay;
  }

  override applyGradients(variableGradients: SgdGradInput): void {
    decayVariables(variableGradients, this.learningRate, this.weightDecay, this.select);
    super.applyGradients(variableGradients);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), weightDecay: this.weightDecay };
  }

  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new SGDW(config.learningRate as number, { weightDecay: config.weightDecay as number }) as unknown as T;
  }
}

tf.serialization.registerClass(AdamW);
tf.serialization.registerClass(SGDW);

/** `new AdamW(learningRate, {weightDecay})`. */
export function adamW(learningRate = 0.001, options: WeightDecayOptions = {}): AdamW {
  return new AdamW(learningRate, options);
}

/** `new SGDW(learningRate, {weightDecay})`. */
export function sgdW(learningRate = 0.01, options: WeightDecayOptions = {}): SGDW {
  return new SGDW(learningRate, options);
}
