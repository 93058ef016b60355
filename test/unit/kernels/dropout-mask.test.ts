// Dropout masks written by a backend kernel (src/kernels/dropout-mask.ts):
// exactly the multipliers tfjs's dropout and reglab's DropoutLayer draw at the
// same point of the seeded stream, reproducible after seed(n), fresh each call;
// the laned fillMask bit for bit the serial fillMaskSerial it replaced.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import seedrandom from "seedrandom";
import { useBackend } from "../../../src/backend";
import { seed } from "../../../src/random/seed";
import { dropoutMask, fillMask, fillMaskSerial } from "../../../src/kernels/dropout-mask";
import { MIN_LANED } from "../../../src/kernels/alea-lanes";
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

test("fillMask = fillMaskSerial bit for bit: random seeds, lengths and keeps, both styles", () => {
  const pick = seedrandom.alea("dropout-mask lanes");
  const lengths = [1, 3, 8, MIN_LANED - 1, MIN_LANED, MIN_LANED + 1, 16384, 65536 + 7];
  for (let round = 0; round < 40; round++) lengths.push(1 + Math.floor(pick() * 70000));
  // keep 1 (rate 0): a draw whose float32 rounds to 1 is dropped in reglab's style (u < keep) and kept in tfjs's.
  const keeps = [0.5, 0.7, 0.15, 1, 0.999, 1e-3, 1 - 1e-7];
  for (const n of lengths) {
    const keep = pick() < 0.5 ? keeps[Math.floor(pick() * keeps.length)] : 1 - pick();
    for (const style of ["tfjs", "reglab"] as const) {
      const seedValue = pick();
      const ours = new Float32Array(n).fill(Number.NaN);
      const reference = new Float32Array(n);
      fillMask(ours, keep, style, seedValue);
      fillMaskSerial(reference, keep, style, seedValue);
      const same = Buffer.from(ours.buffer).equals(Buffer.from(reference.buffer));
      assert.ok(same, `n = ${n}, keep = ${keep}, style ${style}, seed ${seedValue}`);
    }
  }
});

test("a draw whose float32 is 1: reglab drops it even at keep 1, tfjs keeps it, as fillMaskSerial does", () => {
  // Found by scanning integer seeds: seed 776's draw 10783 and seed 13227's draw 2885 round to 1 in float32
  // (probability 2^-25 a draw), one on the laned path and one on the serial path (n < MIN_LANED).
  const cases = [
    { seedValue: 776, at: 10783, n: 16384 + 3 },
    { seedValue: 13227, at: 2885, n: MIN_LANED - 1 },
  ];
  for (const { seedValue, at, n } of cases) {
    for (const keep of [1, 1 - 1e-7, 0.5]) {
      for (const style of ["tfjs", "reglab"] as const) {
        const ours = new Float32Array(n);
        const reference = new Float32Array(n);
        fillMask(ours, keep, style, seedValue);
        fillMaskSerial(reference, keep, style, seedValue);
        assert.deepEqual(ours, reference, `seed ${seedValue}, keep ${keep}, style ${style}`);
      }
    }
    const mask = new Float32Array(n);
    fillMask(mask, 1, "reglab", seedValue);
    assert.equal(mask[at], 0, `seed ${seedValue}: draw ${at} is 1, not < keep 1`);
    assert.equal(mask.indexOf(0), at, "the only draw dropped at keep 1");
    fillMask(mask, 1, "tfjs", seedValue);
    assert.equal(mask[at], 1, "tfjs: floor(1 + 1) / 1 is kept as 1/keep");
  }
});
