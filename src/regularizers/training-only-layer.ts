/**
 * The base of the regularizing layers that act only while training (DropoutLayer, GaussianNoiseLayer): in
 * `fit`, `train` or `apply(x, {training: true})` the layer perturbs its input; otherwise (`predict`,
 * `evaluate`) it returns a clone of it. The output shape is the input's, and masks pass through.
 */
import * as tf from "@tensorflow/tfjs";

/** Keyword arguments tfjs passes to `Layer.call` (`training`, `mask`). */
type Kwargs = Record<string, unknown>;

/** The tfjs layer arguments these layers take besides their own. */
export interface TrainingOnlyLayerArgs {
  name?: string;
  inputShape?: number[];
  batchInputShape?: Array<number | null>;
}

export abstract class TrainingOnlyLayer extends tf.layers.Layer {
  constructor(args: TrainingOnlyLayerArgs) {
    super(args);
    this.supportsMasking = true;
  }

  /** The output while training (inside tf.tidy). */
  protected abstract perturb(x: tf.Tensor): tf.Tensor;

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      return kwargs?.["training"] === true ? this.perturb(x) : x.clone();
    });
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    return inputShape;
  }
}
