/**
 * Optimizers by name for `train` (a fresh instance per call, disposed at
 * the end of training; pass a tf.Optimizer to keep state across calls).
 */
import * as tf from "@tensorflow/tfjs";
import { AdamW, SGDW } from "../regularizers/weight-decay";

export type OptimizerName = "sgd" | "momentum" | "adam" | "rmsprop" | "adagrad" | "adadelta" | "adamax" | "adamw" | "sgdw";

const NAMES: OptimizerName[] = ["sgd", "momentum", "adam", "rmsprop", "adagrad", "adadelta", "adamax", "adamw", "sgdw"];

export function resolveOptimizer(
  spec: tf.Optimizer | OptimizerName,
  learningRate?: number,
  weightDecay?: number,
): { optimizer: tf.Optimizer; owned: boolean } {
  if (spec instanceof tf.Optimizer) return { optimizer: spec, owned: false };
  if (learningRate !== undefined && !(learningRate > 0)) throw new RangeError(`learningRate must be > 0, got ${learningRate}`);
  const lr = (d: number) => learningRate ?? d;
  const name = String(spec).toLowerCase() as OptimizerName;
  switch (name) {
    case "sgd":
      return { optimizer: tf.train.sgd(lr(0.01)), owned: true };
    case "momentum":
      return { optimizer: tf.train.momentum(lr(0.01), 0.9), owned: true };
    case "adam":
      return { optimizer: tf.train.adam(lr(0.001)), owned: true };
    case "rmsprop":
      return { optimizer: tf.train.rmsprop(lr(0.001)), owned: true };
    case "adagrad":
      return { optimizer: tf.train.adagrad(lr(0.01)), owned: true };
    case "adadelta":
      return { optimizer: tf.train.adadelta(lr(1)), owned: true };
    case "adamax":
      return { optimizer: tf.train.adamax(lr(0.002)), owned: true };
    case "adamw":
      return { optimizer: new AdamW(lr(0.001), { weightDecay }), owned: true };
    case "sgdw":
      return { optimizer: new SGDW(lr(0.01), { weightDecay }), owned: true };
    default:
      throw new Error(`Unknown optimizer "${String(spec)}". Use a tf.Optimizer or one of: ${NAMES.join(", ")}.`);
  }
}
