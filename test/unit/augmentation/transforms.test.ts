// Augmentation transforms on [n, h, w, c] batches, on wasm (default) and cpu:
// zero-size transforms are the identity, a shift and its inverse agree on the
// interior, rotation and flips move pixels the documented way, the same seed
// gives the same batch, labels pass through untouched, no leaks, clear shape
// errors; and a composed pipeline runs inside train's step.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../../src/backend";
import { rng, seed, unseed } from "../../../src/random/seed";
import {
  compose, cutout, randomFlip, randomNoise, randomRotation, randomShift, randomZoom, rotateImages, shiftImages, zoomImages,
  type BatchTransform,
} from "../../../src/augmentation";
import { train } from "../../../src/training/train";

const BACKENDS = ["wasm", "cpu"] as const;

function images(n: number, h: number, w: number, c: number, s = 1): tf.Tensor4D {
  const r = rng(s);
  return tf.tensor4d(Float32Array.from({ length: n * h * w * c }, () => r.next()), [n, h, w, c]);
}

function buffers(): number {
  return (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
}

/** Run f on the backend; check that it frees everything but what it returns. */
async function clean<T>(backend: string, f: () => T): Promise<T> {
  await useBackend(backend as "wasm", { quiet: true });
  const t = tf.memory().numTensors;
  const b = buffers();
  const out = f();
  assert.equal(tf.memory().numTensors, t, `${backend}: tensors leaked`);
  assert.equal(buffers(), b, `${backend}: backend buffers leaked`);
  return out;
}

function values(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

const zeroSize: Array<[string, BatchTransform]> = [
  ["randomShift(0)", randomShift({ maxShift: 0 })],
  ["randomRotation(0)", randomRotation({ maxDegrees: 0 })],
  ["randomZoom([1, 1])", randomZoom({ range: [1, 1] })],
  ["randomFlip(p = 0)", randomFlip({ horizontal: true, vertical: true, probability: 0 })],
  ["randomNoise(0)", randomNoise({ std: 0 })],
  ["cutout(0)", cutout({ size: 0 })],
];

test("zero-size transforms are the identity and leave labels untouched (wasm and cpu)", async () => {
  for (const backend of BACKENDS) {
    await clean(backend, () => {
      const x = images(3, 7, 6, 2);
      const y = tf.tensor2d([[1, 0], [0, 1], [1, 0]]);
      for (const [name, t] of zeroSize) {
        const out = t({ x, y });
        assert.strictEqual(out.y, y, `${name}: y is passed through`);
        assert.deepEqual(values(out.x), values(x), `${backend} ${name}`);
        out.x.dispose();
      }
      tf.dispose([x, y]);
    });
  }
});

test("a shift and its inverse agree on the interior; out(i, j) = in(i - dy, j - dx)", async () => {
  for (const backend of BACKENDS) {
    await clean(backend, () => {
      const [n, h, w, c] = [3, 9, 8, 2];
      const x = images(n, h, w, c, 2);
      const dy = [2, -1, 0];
      const dx = [-3, 1, 2];
      const there = shiftImages(x, dy, dx);
      const back = shiftImages(there, dy.map((v) => -v), dx.map((v) => -v));
      const [a, b, s] = [values(x), values(back), values(there)];
      for (let k = 0; k < n; k++) {
        for (let i = 0; i < h; i++) {
          for (let j = 0; j < w; j++) {
            for (let ch = 0; ch < c; ch++) {
              const at = (ii: number, jj: number) => ((k * h + ii) * w + jj) * c + ch;
              const inside = i - dy[k] >= 0 && i - dy[k] < h && j - dx[k] >= 0 && j - dx[k] < w;
              assert.equal(s[at(i, j)], inside ? a[at(i - dy[k], j - dx[k])] : 0, `${backend} shift (${k},${i},${j})`);
              const interior = i >= Math.abs(dy[k]) && i < h - Math.abs(dy[k]) && j >= Math.abs(dx[k]) && j < w - Math.abs(dx[k]);
              if (interior) assert.equal(b[at(i, j)], a[at(i, j)], `${backend} inverse (${k},${i},${j})`);
            }
          }
        }
      }
      tf.dispose([x, there, back]);
    });
  }
});

test("rotation by 90 degrees is counter-clockwise on screen; zoom 2 keeps the centre pixel; flips mirror", async () => {
  for (const backend of BACKENDS) {
    await clean(backend, () => {
      const x = images(1, 5, 5, 1, 3);
      const r = rotateImages(x, [90]);
      // Counter-clockwise: the top row becomes the left column, read bottom-up: out(i, j) = in(j, w-1-i).
      const want = tf.tidy(() => tf.reverse(tf.transpose(x, [0, 2, 1, 3]), 1));
      const [got, exp] = [values(r), values(want)];
      got.forEach((v, i) => assert.ok(Math.abs(v - exp[i]) < 1e-5, `${backend} rotate90[${i}] ${v} vs ${exp[i]}`));
      const z = zoomImages(x, [2]);
      assert.ok(Math.abs(values(z)[12] - values(x)[12]) < 1e-6, "zoom keeps the centre");
      const f = randomFlip({ horizontal: true, probability: 1 })({ x, y: x }).x;
      const flipped = tf.tidy(() => tf.reverse(x, 2));
      assert.deepEqual(values(f), values(flipped));
      tf.dispose([x, r, want, z, f, flipped]);
    });
  }
});

const pipeline = () =>
  compose([
    randomShift({ maxShift: 2 }),
    randomRotation({ maxDegrees: 15 }),
    randomZoom({ range: [0.9, 1.1] }),
    randomFlip({ vertical: true }),
    randomNoise({ std: 0.1, clip: [0, 1] }),
    cutout({ size: 3 }),
  ]);

test("same seed, same batch; the next batch differs; labels untouched; no leaks (wasm and cpu)", async () => {
  const byBackend: Float32Array[] = [];
  for (const backend of BACKENDS) {
    await clean(backend, () => {
      const x = images(4, 12, 12, 1, 4);
      const y = tf.tensor1d([0, 1, 2, 3]);
      const run = () => {
        const p = pipeline();
        const a = p({ x, y });
        const b = p({ x, y });
        assert.strictEqual(a.y, y);
        const out = [values(a.x).slice(), values(b.x).slice()];
        tf.dispose([a.x, b.x]);
        return out;
      };
      seed(9);
      const [first, second] = run();
      seed(9);
      const [again] = run();
      seed(10);
      const [other] = run();
      assert.deepEqual(again, first, `${backend}: same seed, same batch`);
      assert.notDeepEqual(second, first, `${backend}: the next batch gets new transforms`);
      assert.notDeepEqual(other, first, `${backend}: another seed, another batch`);
      assert.ok(first.every((v) => v >= 0 && v <= 1), "clipped to [0, 1]");
      byBackend.push(first);
      tf.dispose([x, y]);
    });
  }
  unseed();
  // The draws are the backends' too: same transforms, values equal to rounding.
  byBackend[0].forEach((v, i) => assert.ok(Math.abs(v - byBackend[1][i]) < 1e-4, `wasm ${v} vs cpu ${byBackend[1][i]} at ${i}`));
});

test("cutout hides at most size x size pixels per image, all channels", async () => {
  await useBackend(undefined, { quiet: true });
  seed(2);
  const x = tf.ones([6, 10, 10, 3]) as tf.Tensor4D;
  const out = cutout({ size: 4 })({ x, y: x }).x;
  const v = values(out);
  for (let k = 0; k < 6; k++) {
    let zeros = 0;
    for (let p = 0; p < 100; p++) {
      const ch = [0, 1, 2].map((c) => v[(k * 100 + p) * 3 + c]);
      assert.ok(ch.every((q) => q === ch[0]) && (ch[0] === 0 || ch[0] === 1), "a pixel is hidden in every channel or none");
      if (ch[0] === 0) zeros++;
    }
    assert.ok(zeros >= 4 && zeros <= 16, `image ${k}: ${zeros} hidden pixels`);
  }
  tf.dispose([x, out]);
  unseed();
});

test("shape and option errors name what is expected", () => {
  const flat = tf.zeros([4, 784]);
  const one = tf.zeros([28, 28, 1]);
  const ints = tf.zeros([2, 4, 4, 1], "int32");
  assert.throws(
    () => randomShift({ maxShift: 1 })({ x: flat, y: flat }),
    /randomShift: expected a batch of images \[n, h, w, c\] \(rank 4\), got shape \[4,784\]; reshape/,
  );
  assert.throws(() => randomRotation({ maxDegrees: 5 })({ x: one, y: one }), /got shape \[28,28,1\]; add the batch axis/);
  assert.throws(() => randomNoise({ std: 1 })({ x: ints, y: ints }), /expected float32 images, got int32/);
  assert.throws(() => randomShift({ maxShift: 1.5 }), /whole pixels/);
  assert.throws(() => randomZoom({ range: [1.2, 0.8] }), /range\[1\] must be a number in \[1.2/);
  assert.throws(() => shiftImages(tf.zeros([2, 4, 4, 1]) as tf.Tensor4D, [1], [1, 2]), /need 2 shifts/);
  assert.throws(() => compose([randomFlip(), 3 as unknown as BatchTransform]), /array of batch transforms/);
  tf.dispose([flat, one, ints]);
});

test("a composed pipeline runs as train's augment on a conv net without leaks (default backend)", async () => {
  await useBackend(undefined, { quiet: true });
  seed(4);
  const x = images(32, 12, 12, 1, 5);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 2), "int32"), 2).toFloat();
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [12, 12, 1], filters: 4, kernelSize: 3, activation: "relu" }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 2, activation: "softmax" }));
  const before = tf.memory().numTensors;
  const h = await train(m, { x, y }, { epochs: 2, batchSize: 8, loss: "categoricalCrossentropy", augment: pipeline(), progress: false });
  assert.equal(h.loss.length, 2);
  assert.ok(h.loss.every(Number.isFinite));
  assert.ok(tf.memory().numTensors <= before + 2, `tensors leaked: ${tf.memory().numTensors - before}`);
  tf.dispose([x, y]);
  m.dispose();
  unseed();
});
