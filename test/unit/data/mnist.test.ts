// loadMnist / loadFashionMnist: shapes and value ranges, labels that match y,
// a deterministic class-stratified split whose test part does not move when
// only the train size changes, disjoint parts, clear errors naming the
// maximum, no tensor leaks. Run on the default backend.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../../src/backend";
import { loadMnist, loadFashionMnist, type ImageSet, type ImagePart } from "../../../src/data";

const loaders = { loadMnist, loadFashionMnist } as const;

function rowHashes(p: ImagePart): string[] {
  const v = p.x.dataSync();
  const size = 28 * 28;
  return p.labels.map((_, i) => createHash("sha1").update(Buffer.from(v.buffer, v.byteOffset + i * size * 4, size * 4)).digest("hex"));
}

function dispose(s: ImageSet): void {
  tf.dispose([s.train.x, s.train.y, s.test.x, s.test.y]);
}

function classCounts(labels: number[]): number[] {
  const c = new Array(10).fill(0);
  for (const l of labels) c[l]++;
  return c;
}

test("both loaders give x [n,28,28,1] in [0,1] as p/255, one-hot y matching labels, and 10 class names", async () => {
  await useBackend(undefined, { quiet: true });
  for (const [name, load] of Object.entries(loaders)) {
    const before = tf.memory().numTensors;
    const s = load({ train: 300, test: 100 });
    assert.deepEqual(s.train.x.shape, [300, 28, 28, 1], name);
    assert.deepEqual(s.test.y.shape, [100, 10], name);
    assert.equal(s.classNames.length, 10);
    const x = s.train.x.dataSync();
    assert.ok(x.every((v) => v >= 0 && v <= 1 && Math.abs(v * 255 - Math.round(v * 255)) < 1e-4), `${name}: pixels are p/255`);
    const [lo, hi] = tf.tidy(() => [tf.min(s.train.x).dataSync()[0], tf.max(s.train.x).dataSync()[0]]);
    assert.ok(lo === 0 && hi === 1, `${name}: full range used`);
    const am = tf.argMax(s.train.y, 1);
    const argmax = Array.from(am.dataSync());
    am.dispose();
    assert.deepEqual(argmax, s.train.labels, `${name}: y is the one-hot of labels`);
    dispose(s);
    assert.equal(tf.memory().numTensors, before, `${name}: tensors leaked`);
  }
});

test("sparse labels give y [n,1] class indices", () => {
  const s = loadFashionMnist({ train: 50, test: 20, labels: "sparse" });
  assert.deepEqual(s.train.y.shape, [50, 1]);
  assert.deepEqual(Array.from(s.train.y.dataSync()), s.train.labels);
  assert.equal(s.classNames[9], "Ankle boot");
  dispose(s);
});

test("all 10,000 images load, train and test are disjoint, and class proportions are kept in both parts", () => {
  for (const [name, load] of Object.entries(loaders)) {
    const s = load({ train: 8000, test: 2000 });
    const all = [...rowHashes(s.train), ...rowHashes(s.test)];
    const train = new Set(rowHashes(s.train));
    const overlap = rowHashes(s.test).filter((h) => train.has(h)).length;
    assert.equal(overlap, 0, `${name}: ${overlap} test images also in train`);
    assert.ok(new Set(all).size >= 9990, `${name}: images are distinct`);
    const total = classCounts([...s.train.labels, ...s.test.labels]);
    const te = classCounts(s.test.labels);
    total.forEach((m, c) => assert.ok(Math.abs(te[c] - (2000 * m) / 10000) <= 1, `${name} class ${c}: ${te[c]} test of ${m}`));
    dispose(s);
  }
});

test("the split is a function of the seed; the test part does not change with the train size", () => {
  const a = loadMnist({ train: 500, test: 200, seed: 3 });
  const b = loadMnist({ train: 500, test: 200, seed: 3 });
  const c = loadMnist({ train: 900, test: 200, seed: 3 });
  const d = loadMnist({ train: 500, test: 200, seed: 4 });
  assert.deepEqual(rowHashes(a.test), rowHashes(b.test));
  assert.deepEqual(rowHashes(a.train), rowHashes(b.train));
  assert.deepEqual(new Set(rowHashes(a.test)), new Set(rowHashes(c.test)), "test set moved when only train changed");
  assert.notDeepEqual(rowHashes(a.test), rowHashes(d.test));
  // Rows are shuffled, not sorted by class.
  assert.notDeepEqual(a.train.labels.slice(0, 50), [...a.train.labels.slice(0, 50)].sort());
  [a, b, c, d].forEach(dispose);
});

test("balanced: true gives every class the same count", () => {
  const s = loadMnist({ train: 8000, test: 630, balanced: true });
  for (const c of classCounts(s.train.labels)) assert.equal(c, 800);
  for (const c of classCounts(s.test.labels)) assert.equal(c, 63);
  dispose(s);
});

test("asking for more images than exist is an error that names the maximum", () => {
  assert.throws(() => loadMnist({ train: 9000, test: 2000 }), /at most 10000 exist.*train \+ test <= 10000/);
  assert.throws(
    () => loadMnist({ train: 8000, test: 1000, balanced: true }),
    /at most 8630 exist with balanced: true \(863 per class: the rarest class is "5"\)/,
  );
  assert.throws(() => loadFashionMnist({ train: 10001, test: 0 }), /at most 10000/);
  assert.throws(() => loadFashionMnist({ train: -1 }), /train must be an integer >= 0/);
  assert.throws(() => loadFashionMnist({ labels: "dense" as "sparse" }), /labels must be "oneHot" or "sparse"/);
});
