import { test } from "node:test";
import assert from "node:assert/strict";
import { seed, unseed, rng } from "../../../src/random/seed";
import { bootstrap, expectedDistinctFraction } from "../../../src/ensembles/bootstrap";
import { ensembleErrorAnalysis, correlatedErrors } from "../../../src/ensembles/error-analysis";

test("bootstrap: distinct fraction ~ 1 - 1/e for large n (3 seeds), out-of-bag is the complement", () => {
  const n = 10000;
  for (const s of [1, 2, 3]) {
    const b = bootstrap(n, { seed: s });
    assert.equal(b.indices.length, n);
    // sd of the fraction ~ sqrt((1/e - 2/e^2) / n) ~ 0.0031: 5 sd.
    assert.ok(Math.abs(b.distinctFraction - (1 - 1 / Math.E)) < 0.016, `seed ${s}: ${b.distinctFraction}`);
    const drawn = new Set(Array.from(b.indices));
    assert.equal(drawn.size, b.distinct);
    assert.equal(b.outOfBag.length + drawn.size, n);
    for (const o of b.outOfBag) assert.ok(!drawn.has(o));
    assert.ok(b.indices.every((i) => i >= 0 && i < n));
  }
  assert.deepEqual(bootstrap(50, { seed: 4 }).indices, bootstrap(50, { seed: 4 }).indices);
  assert.notDeepEqual(bootstrap(50, { seed: 4 }).indices, bootstrap(50, { seed: 5 }).indices);
  seed(8);
  const a = bootstrap(50).indices;
  seed(8);
  assert.deepEqual(bootstrap(50).indices, a);
  unseed();
  assert.ok(Math.abs(expectedDistinctFraction(1e6) - (1 - 1 / Math.E)) < 1e-6);
  assert.equal(expectedDistinctFraction(2), 0.75);
  assert.throws(() => bootstrap(0), /positive integer/);
});

test("ensemble error formula (7.50-7.51): k = 10, v = 1, c in {0, 0.5, 1} -> 0.1, 0.55, 1.0", () => {
  const k = 10;
  const n = 20000;
  for (const c of [0, 0.5, 1]) {
    // Correlated errors built here, independently of correlatedErrors().
    const r = rng(1000 + c * 10);
    const errs = Array.from({ length: k }, () => new Float64Array(n));
    for (let j = 0; j < n; j++) {
      const shared = r.normal();
      for (let i = 0; i < k; i++) errs[i][j] = Math.sqrt(c) * shared + Math.sqrt(1 - c) * r.normal();
    }
    const a = ensembleErrorAnalysis(errs);
    const theory = 1 / k + ((k - 1) * c) / k;
    // sd of the observed MSE ~ theory * sqrt(2 / n) <= 0.01.
    assert.ok(Math.abs(a.observedMse - theory) < 0.04, `c ${c}: observed ${a.observedMse} vs ${theory}`);
    assert.ok(Math.abs(a.predictedMse - theory) < 0.04);
    assert.ok(Math.abs(a.variance - 1) < 0.04);
    assert.ok(Math.abs(a.covariance - c) < 0.04);
    // Observed MSE recomputed directly.
    let obs = 0;
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let i = 0; i < k; i++) s += errs[i][j];
      obs += (s / k) ** 2;
    }
    assert.ok(Math.abs(a.observedMse - obs / n) < 1e-12);
    assert.ok(Math.abs(a.predictedMse - a.observedMse) < 1e-9, "with sample moments the formula is an identity");
  }
  assert.throws(() => ensembleErrorAnalysis([[1, 2]]), /at least 2/);
  assert.throws(() => ensembleErrorAnalysis([[1, 2], [1]]), /member 1/);
});

test("correlatedErrors has the requested second moments", () => {
  const e = correlatedErrors(5, 40000, { variance: 2, covariance: 0.5, seed: 3 });
  let sq = 0;
  let cross = 0;
  for (let j = 0; j < 40000; j++) {
    sq += e[0][j] ** 2;
    cross += e[1][j] * e[2][j];
  }
  assert.ok(Math.abs(sq / 40000 - 2) < 0.08);
  assert.ok(Math.abs(cross / 40000 - 0.5) < 0.05);
  assert.throws(() => correlatedErrors(3, 10, { variance: 1, covariance: 2 }), /covariance/);
});
