/**
 * A hand-derived training step for the networks `mlp()` builds: a
 * tf.Sequential of Dense layers (ReLU, tanh or linear hidden units, softmax
 * output), each optionally followed by dropout (tfjs's Dropout layer or
 * reglab's DropoutLayer, also on the inputs), trained with categorical
 * cross-entropy. `train` uses it instead of autodiff when the model and the
 * run match (`denseChainOf` returns null otherwise, and autodiff runs).
 *
 * Forward, per layer l (h_0 = x, or x ⊙ mask_0 with input dropout):
 *   a_l = f(h_{l-1} W_l + b_l)       one kernel (src/kernels/matmul.ts; tanh is one more),
 *   h_l = a_l ⊙ mask_l               mask_l drawn on the backend (src/kernels/dropout-mask.ts),
 * p = softmax(h_{L-1} W_L + b_L), J = categorical cross-entropy (tfjs's, with its clip).
 * Backward, with dz_L = dJ/dz from the same kernel as p and J (src/kernels/dense-grads.ts):
 *   dW_l = h_{l-1}ᵀ dz_l,   db_l = sum_rows dz_l (with dz_l, from the kernel that makes it),
 *   dz_{l-1} = (dz_l W_lᵀ) ⊙ mask_{l-1} ⊙ f'(a_{l-1})     two kernels.
 *
 * Dropout masks are drawn in the same order and from the same seeded stream
 * as the layers draw them under autodiff, so a seeded run trains the same
 * model; gradients agree with autodiff to float32 rounding
 * (test/unit/training/dense-chain.test.ts). About 20 kernels per step for a
 * 2-hidden-layer MLP instead of ~150 for the taped forward and backward.
 */
import * as tf from "@tensorflow/tfjs";
import { dropoutMask, type MaskStyle } from "../kernels/dropout-mask";
import { activationGrad, softmaxCrossEntropy, type HiddenActivation } from "../kernels/dense-grads";
import { memoryKernelsAvailable } from "../kernels/backend-memory";
import { denseForward, matMulNT, matMulTN } from "../kernels/matmul";
import type { Trainable } from "./types";

interface Drop {
  rate: number;
  style: MaskStyle;
}

interface Stage {
  kernel: tf.Variable;
  bias: tf.Variable | null;
  activation: HiddenActivation | "softmax";
  /** Dropout applied to this stage's output. */
  dropout: Drop | null;
}

export interface DenseChain {
  inputDropout: Drop | null;
  stages: Stage[];
}

type LayerConfig = Record<string, unknown>;

function dropoutOf(layer: tf.layers.Layer): Drop | null | "unsupported" {
  const c = layer.getConfig() as LayerConfig;
  const cls = layer.getClassName();
  if (cls !== "Dropout" && cls !== "ReglabDropout") return "unsupported";
  // A noise shape shares draws across axes; a fixed seed repeats one mask: autodiff handles both.
  if (c.noiseShape != null || c.seed != null) return "unsupported";
  const rate = c.rate as number;
  if (!(rate > 0 && rate < 1)) return rate === 0 ? null : "unsupported";
  return { rate, style: cls === "Dropout" ? "tfjs" : "reglab" };
}

/**
 * The model as a dense chain, or null when the hand-derived step does not
 * apply: not a Sequential of Dense and dropout layers, another activation,
 * layer regularizers (their loss goes on the tape), frozen layers, variables
 * other than the layers' kernels and biases in order, or a backend whose
 * memory the step's kernels cannot reach.
 */
export function denseChainOf(model: Trainable, vars: tf.Variable[]): DenseChain | null {
  if (!(model instanceof tf.Sequential) || !memoryKernelsAvailable()) return null;
  if (!model.inputs || model.inputs.length !== 1 || model.inputs[0].shape.length !== 2) return null;
  const chain: DenseChain = { inputDropout: null, stages: [] };
  const expected: tf.Variable[] = [];
  for (const layer of model.layers) {
    if (layer.getClassName() === "Dense") {
      const c = layer.getConfig() as LayerConfig;
      if (c.kernelRegularizer || c.biasRegularizer || c.activityRegularizer || !layer.trainable) return null;
      const activation = c.activation as string;
      if (!["relu", "tanh", "linear", "softmax"].includes(activation)) return null;
      const [kernel, bias] = layer.trainableWeights.map((w) => w.read() as tf.Variable);
      if (kernel.dtype !== "float32") return null;
      chain.stages.push({ kernel, bias: bias ?? null, activation: activation as Stage["activation"], dropout: null });
      expected.push(kernel, ...(bias ? [bias] : []));
      continue;
    }
    const d = dropoutOf(layer);
    if (d === "unsupported") return null;
    const last = chain.stages[chain.stages.length - 1];
    if (!last) {
      if (chain.inputDropout) return null;
      chain.inputDropout = d;
    } else {
      if (last.dropout) return null;
      last.dropout = d;
    }
  }
  const out = chain.stages[chain.stages.length - 1];
  if (!out || out.activation !== "softmax" || out.dropout) return null;
  if (chain.stages.slice(0, -1).some((s) => s.activation === "softmax")) return null;
  if (expected.length !== vars.length || expected.some((v, i) => v !== vars[i])) return null;
  return chain;
}

/** x ⊙ mask as the layer computes it: tfjs's mask holds 0 or 1/keep; reglab's 0/1 and the result is divided by keep. */
function applyDropout(x: tf.Tensor2D, d: Drop): { out: tf.Tensor2D; mask: tf.Tensor; scale: number } {
  const mask = dropoutMask(x.shape, d.rate, d.style);
  if (d.style === "tfjs") return { out: tf.mul(x, mask), mask, scale: 1 };
  return { out: tf.div(tf.mul(x, mask), 1 - d.rate), mask, scale: 1 / (1 - d.rate) };
}

/**
 * One forward and backward pass (call inside a tidy). Returns the softmax
 * outputs (for metrics), the mean cross-entropy J and dJ/dθ keyed by
 * variable name.
 */
export function denseChainGradients(
  chain: DenseChain,
  x: tf.Tensor,
  y: tf.Tensor,
): { probs: tf.Tensor2D; loss: tf.Scalar; grads: Record<string, tf.Tensor> } {
  let h = x as tf.Tensor2D;
  if (chain.inputDropout) h = applyDropout(h, chain.inputDropout).out;
  const saved: Array<{ input: tf.Tensor2D; a: tf.Tensor2D; mask: tf.Tensor | null; scale: number }> = [];
  let logits: tf.Tensor2D | null = null;
  for (const s of chain.stages) {
    const z = denseForward(h, s.kernel as tf.Tensor2D, s.bias, s.activation === "relu");
    if (s.activation === "softmax") {
      logits = z;
      break;
    }
    const a = s.activation === "tanh" ? tf.tanh(z) : z;
    const dropped = s.dropout ? applyDropout(a, s.dropout) : { out: a, mask: null, scale: 1 };
    saved.push({ input: h, a, mask: dropped.mask, scale: dropped.scale });
    h = dropped.out;
  }
  // Targets may be int32 one-hot; tfjs's loss casts them too.
  const target = (y.dtype === "float32" ? y : tf.cast(y, "float32")) as tf.Tensor2D;
  if (target.shape.join() !== logits!.shape.join()) {
    throw new Error(`train: targets of shape [${y.shape}] for outputs of shape [${logits!.shape}]`);
  }
  const { probs, dz: dzOut, db: dbOut, loss } = softmaxCrossEntropy(logits!, target);
  const grads: Record<string, tf.Tensor> = {};
  let dz = dzOut;
  let db = dbOut;
  for (let l = chain.stages.length - 1; l >= 0; l--) {
    const s = chain.stages[l];
    const input = l === chain.stages.length - 1 ? h : saved[l].input;
    grads[s.kernel.name] = matMulTN(input, dz);
    if (s.bias) grads[s.bias.name] = db;
    if (l === 0) break;
    const below = saved[l - 1];
    const dh = matMulNT(dz, s.kernel as tf.Tensor2D);
    ({ dz, db } = activationGrad(dh, below.a, chain.stages[l - 1].activation as HiddenActivation, below.mask, below.scale));
  }
  return { probs, loss, grads };
}
