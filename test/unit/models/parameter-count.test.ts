// countParameters: per layer and per kind, with the book's sharing argument
// (sec. 7.9) in numbers: a 3x3 conv layer against the dense layer that maps
// the same input to an output of the same size.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { countParameters } from "../../../src/models/parameter-count";
import { chapterCnn } from "../../../bench/conv";
import { unseed } from "../../../src/random/seed";

test("the chapter CNN: counts per layer follow k_h k_w c_in c_out + c_out and in*units + units", () => {
  const m = chapterCnn();
  unseed();
  const c = countParameters(m);
  const want = [3 * 3 * 1 * 32 + 32, 0, 3 * 3 * 32 * 64 + 64, 0, 0, 5 * 5 * 64 * 128 + 128, 0, 128 * 10 + 10];
  assert.deepEqual(c.layers.map((l) => l.trainable), want);
  assert.deepEqual(c.byKind, { conv: 320 + 18496, dense: 204928 + 1290, other: 0 });
  assert.equal(c.total, m.countParams());
  m.dispose();
});

test("sharing in numbers: conv 3x3x32 on 28x28x1 needs 320 parameters, a dense layer with the same output 17 million", () => {
  const conv = tf.sequential({ layers: [tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, kernelSize: 3 })] });
  const dense = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [28, 28, 1] }), tf.layers.dense({ units: 26 * 26 * 32 })] });
  const bn = tf.sequential({ layers: [tf.layers.batchNormalization({ inputShape: [4] })] });
  assert.equal(countParameters(conv).byKind.conv, 320);
  assert.equal(countParameters(dense).byKind.dense, 784 * 21632 + 21632);
  const layer = bn.layers[0].name;
  const want = { layer, className: "BatchNormalization", kind: "other", trainable: 8, nonTrainable: 8, outputShape: "[null,4]" };
  assert.deepEqual(countParameters(bn).layers[0], want);
  [conv, dense, bn].forEach((m) => m.dispose());
});
