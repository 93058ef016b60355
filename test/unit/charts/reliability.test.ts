import { test } from "node:test";
import assert from "node:assert/strict";
import { calibrationBins, expectedCalibrationError, reliabilityDiagram, pngSize } from "../../../src/charts";

test("calibration bins: (lo, hi] bins, 0 in the first, mean confidence and accuracy per bin", () => {
  const conf = [0, 0.05, 0.1, 0.15, 0.95, 1];
  const correct = [0, 1, 0, 1, 1, 1];
  const rows = calibrationBins(conf, correct, 10);
  assert.equal(rows.length, 10);
  assert.deepEqual(rows.map((r) => r.count), [3, 1, 0, 0, 0, 0, 0, 0, 0, 2]);
  assert.ok(Math.abs(rows[0].confidence - 0.05) < 1e-12);
  assert.ok(Math.abs(rows[0].accuracy - 1 / 3) < 1e-12);
  assert.ok(Number.isNaN(rows[4].accuracy));
  assert.ok(Math.abs(rows[9].confidence - 0.975) < 1e-12);
});

test("ECE: 0 for a calibrated model, |acc - conf| weighted by bin counts otherwise", () => {
  // 10 predictions at confidence 0.7, 7 correct: calibrated.
  assert.ok(Math.abs(expectedCalibrationError(new Array(10).fill(0.7), [1, 1, 1, 1, 1, 1, 1, 0, 0, 0])) < 1e-12);
  // 4 at 0.9 with 2 correct (gap 0.4), 4 at 0.3 with 2 correct (gap 0.2): ECE = 0.5*0.4 + 0.5*0.2 = 0.3.
  const ece = expectedCalibrationError([0.9, 0.9, 0.9, 0.9, 0.3, 0.3, 0.3, 0.3], [1, 1, 0, 0, 1, 1, 0, 0]);
  assert.ok(Math.abs(ece - 0.3) < 1e-12, `ece ${ece}`);
});

test("bad input gets a clear error", () => {
  assert.throws(() => calibrationBins([0.5], [1, 0]), /1 confidences but 2/);
  assert.throws(() => calibrationBins([1.5], [1]), /not in \[0, 1\]/);
  assert.throws(() => calibrationBins([0.5], [2]), /0 or 1/);
  assert.throws(() => calibrationBins([0.5], [1], 0), /positive integer/);
  assert.throws(() => reliabilityDiagram({}), /at least one model/);
});

test("reliability diagram: one panel per model with its ECE, compiles without warnings and renders a PNG", () => {
  const c = reliabilityDiagram({
    hard: { confidence: [0.9, 0.95, 0.6], correct: [1, 0, 1] },
    smooth: { confidence: [0.5, 0.8, 0.7], correct: [1, 1, 0] },
  });
  const panels = c.spec.hconcat as Array<{ title: string }>;
  assert.equal(panels.length, 2);
  assert.match(panels[0].title, /^hard: ECE /);
  assert.deepEqual(c.warnings, []);
  const b = c.bundle();
  const meta = b.metadata["image/png"] as { width: number; height: number };
  const size = pngSize(Buffer.from(String(b.data["image/png"]), "base64"));
  assert.equal(size.width, 2 * meta.width);
});
