/**
 * Parameters of a model by layer, split by kind (book sec. 7.9, parameter
 * sharing: a conv layer uses the same k_h*k_w*c_in*c_out kernel at every
 * position, where a dense layer from the same input to an output of the
 * same size needs (h*w*c_in) * (h'*w'*c_out) weights).
 *   dense:  in*units (+ units biases)
 *   conv2d: k_h*k_w*c_in*filters (+ filters biases)
 */
import * as tf from "@tensorflow/tfjs";

export type LayerKind = "conv" | "dense" | "other";

export interface LayerParameters {
  layer: string;
  className: string;
  kind: LayerKind;
  /** Trainable parameters (weights and biases). */
  trainable: number;
  /** Non-trainable ones (batch-norm moving statistics, frozen layers). */
  nonTrainable: number;
  outputShape: string;
}

export interface ParameterCount {
  layers: LayerParameters[];
  /** Trainable parameters summed per kind. */
  byKind: Record<LayerKind, number>;
  total: number;
}

function kindOf(className: string): LayerKind {
  if (/^(Conv|SeparableConv|DepthwiseConv)/.test(className)) return "conv";
  if (className === "Dense") return "dense";
  return "other";
}

const size = (ws: tf.LayerVariable[]) => ws.reduce((n, w) => n + tf.util.sizeFromShape(w.shape as number[]), 0);

/** Count a built model's parameters layer by layer. */
export function countParameters(model: tf.LayersModel): ParameterCount {
  if (!(model instanceof tf.LayersModel)) throw new TypeError("countParameters: model must be a tf.LayersModel");
  const layers = model.layers.map((l): LayerParameters => {
    const className = l.getClassName();
    let outputShape = "?";
    try {
      outputShape = JSON.stringify(l.outputShape);
    } catch {
      // tfjs throws for a layer called at several shapes (no single output shape): report that, still count it.
      outputShape = "multiple";
    }
    const trainable = size(l.trainableWeights);
    return { layer: l.name, className, kind: kindOf(className), trainable, nonTrainable: size(l.nonTrainableWeights), outputShape };
  });
  const byKind: Record<LayerKind, number> = { conv: 0, dense: 0, other: 0 };
  for (const l of layers) byKind[l.kind] += l.trainable;
  return { layers, byKind, total: layers.reduce((n, l) => n + l.trainable, 0) };
}
