// Dropout masks written by a backend kernel (src/kernels/dropout-mask.ts):
// exactly the multipliers tfjs's dropout and reglab's DropoutLayer draw at the
// same point of the seeded stream, reproducible after seed(n), fresh each call.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../../src/backend";
import { seed } from "../../../src/random/seed";
import { dropoutMask } from "../../../src/kernels/dropout-mask";
import { bernoulliMask } from "../../../src/regularizers/dropout";

for (const backend of ["wasm", "cpu"] as const) {
  test(`backend masks = tfjs's and reglab's own draws, seeded and reproducible (${backend})`, async () => {
    await useBackend(backend, { quiet: true });
    const x = tf.ones([50, 40]);
    for (const rate of [0.5, 0.3, 0.85]) {
      seed(9);
      const ours = dropoutMask([50, 40], rate, "tfjs");
      const next = dropoutMask([50, 40], rate, "tfjs");
      seed(9);
      const theirs = tf.dropout(x, rate);
      assert.deepEqual(ours.dataSync(), theirs.dataSync(), `tfjs style, rate ${rate}`);
      assert.notDeepEqual(ours.dataSync(), next.dataSync(), "a fresh mask each call");
      const kept = ours.dataSync().filter((v) => v !== 0).length / 2000;
      assert.ok(Math.abs(kept - (1 - rate)) < 0.05, `kept fraction ${kept} for rate ${rate}`);
      seed(9);
      const r1 = dropoutMask([50, 40], rate, "reglab");
      seed(9);
      const r2 = bernoulliMask([50, 40], 1 - rate);
      assert.deepEqual(Array.from(r1.dataSync()), Array.from(r2.dataSync()), `reglab style, rate ${rate}`);
      tf.dispose([ours, next, theirs, r1, r2]);
    }
    assert.throws(() => dropoutMask([2], 1, "tfjs"), /rate must be in \[0, 1\)/);
    x.dispose();
  });
}
