// Seeded notebooks must print the same numbers after a refactor: each generator's output for a fixed seed is
// pinned here by a digest of its values (recorded from the generators as they were before their shared
// option checks and point loop moved to src/data/types.ts). A change of any draw, or of their order, fails.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as tf from "@tensorflow/tfjs";
import { twoMoons } from "../../../src/data/two-moons";
import { circles } from "../../../src/data/circles";
import { xor } from "../../../src/data/xor";
import { spirals } from "../../../src/data/spirals";
import { regularizationExercise } from "../../../src/data/regularization-exercise";
import { d2lLinear } from "../../../src/data/d2l-linear";
import { polynomial } from "../../../src/data/polynomial";
import { relatedTasks } from "../../../src/data/related-tasks";

/** First 16 hex digits of the SHA-256 of the value as JSON, tensors as their values. */
function digest(value: unknown): string {
  const json = JSON.stringify(value, (_key, v: unknown) => (v instanceof tf.Tensor ? Array.from(v.dataSync()) : v));
  return createHash("sha256").update(json).digest("hex").slice(0, 16);
}

test("each generator draws the same values, in the same order, for a fixed seed", () => {
  // tidy disposes every tensor the generators make.
  const digests = tf.tidy(() => {
    const family = relatedTasks({ tasks: 3, inputs: 4, latent: 2, seed: 7 });
    const sample = family.sample(5, 11);
    const made = {
      twoMoons: twoMoons({ n: 40, noise: 0.2, seed: 1 }),
      circles: circles({ n: 40, factor: 0.4, seed: 2 }),
      xor: xor({ n: 40, margin: 0.1, seed: 3 }),
      spirals: spirals({ n: 40, classes: 3, turns: 1.5, seed: 4 }),
      regularizationExercise: regularizationExercise({ nTrain: 30, nTest: 20, seed: 5 }),
      d2lLinear: d2lLinear({ d: 6, nTrain: 5, nTest: 4, seed: 6 }),
      polynomial: polynomial({ n: 10, maxDegree: 5, seed: 8 }),
      relatedTasks: { A: family.A, V: family.V, x: sample.x, y: sample.y },
    };
    return Object.fromEntries(Object.entries(made).map(([name, v]) => [name, digest(v)]));
  });
  assert.deepEqual(digests, {
    twoMoons: "731bf498e6ba2eee",
    circles: "689b8b258b24647d",
    xor: "fad30199893caa00",
    spirals: "584e67b7f5aaa8ba",
    regularizationExercise: "b1f5dae935ed05e6",
    d2lLinear: "1cf4fd4145c7c9ca",
    polynomial: "9fcfb4b072efcd55",
    relatedTasks: "7fba111db02d4a99",
  });
});
