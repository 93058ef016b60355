// The wasm gradient kernels of src/backend/ (Conv2DBackpropFilter,
// Conv2DBackpropInput as XNNPACK convolutions, UnsortedSegmentSum as ScatterNd)
// must give the cpu backend's numbers and finite differences, free their
// intermediates, and let conv nets train on wasm through model.fit and train.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../../src/backend";
import { rng, seed, unseed } from "../../../src/random/seed";
import { train } from "../../../src/training/train";

function randomArray(n: number, seedValue: number): Float32Array {
  const r = rng(seedValue);
  return Float32Array.from({ length: n }, () => r.normal());
}

/** Buffers the backend holds, tracked by the engine or not (kernel temporaries would show here). */
function backendBuffers(): number {
  return (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
}

async function on(backend: "cpu" | "wasm", f: () => tf.Tensor[]): Promise<Float32Array[]> {
  await useBackend(backend, { quiet: true });
  const tensors = tf.memory().numTensors;
  const buffers = backendBuffers();
  const outs = tf.tidy(f);
  const values = await Promise.all(outs.map(async (t) => Float32Array.from(await t.data())));
  tf.dispose(outs);
  assert.equal(tf.memory().numTensors, tensors, `${backend}: tensors leaked`);
  assert.equal(backendBuffers(), buffers, `${backend}: backend buffers leaked`);
  return values;
}

function assertClose(got: Float32Array, want: Float32Array, what: string, rel = 1e-4): void {
  assert.equal(got.length, want.length, `${what}: length`);
  const scale = Math.max(1, ...Array.from(want, Math.abs));
  for (let i = 0; i < got.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= rel * scale, `${what}[${i}]: wasm ${got[i]} vs reference ${want[i]}`);
  }
}

interface ConvCase {
  batch: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  stride: number | [number, number];
  pad: "same" | "valid";
}

const cases: ConvCase[] = [];
for (const k of [1, 2, 3, 5]) {
  for (const stride of [1, 2, 3]) {
    for (const pad of ["same", "valid"] as const) {
      cases.push({ batch: 1 + ((k + stride) % 3), h: 9, w: 8, cin: 1 + (k % 3), cout: 2 + stride, kh: k, kw: k, stride, pad });
    }
  }
}
// Non-square kernels and strides, odd sizes, more channels, a larger batch (the chapter CNN's second layer, scaled down).
cases.push({ batch: 5, h: 7, w: 11, cin: 4, cout: 3, kh: 3, kw: 2, stride: [2, 1], pad: "same" });
cases.push({ batch: 3, h: 10, w: 6, cin: 2, cout: 5, kh: 2, kw: 4, stride: [1, 3], pad: "valid" });
cases.push({ batch: 8, h: 13, w: 13, cin: 8, cout: 16, kh: 3, kw: 3, stride: 1, pad: "valid" });
cases.push({ batch: 2, h: 6, w: 5, cin: 3, cout: 2, kh: 4, kw: 3, stride: 2, pad: "same" });

/** Loss L = sum(r * y + y^2 / 2) of y = conv2d(x, w): nonlinear, so finite differences test more than linearity. */
function convLoss(c: ConvCase, xv: Float32Array, wv: Float32Array, rv: Float32Array) {
  return (x: tf.Tensor, w: tf.Tensor): tf.Scalar => {
    const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, c.stride, c.pad);
    return tf.sum(tf.add(tf.mul(tf.tensor(rv, y.shape), y), tf.mul(0.5, tf.square(y))));
  };
}

function outShape(c: ConvCase): number[] {
  const [sh, sw] = Array.isArray(c.stride) ? c.stride : [c.stride, c.stride];
  const o = (n: number, k: number, s: number) => (c.pad === "same" ? Math.ceil(n / s) : Math.ceil((n - k + 1) / s));
  return [c.batch, o(c.h, c.kh, sh), o(c.w, c.kw, sw), c.cout];
}

function caseData(c: ConvCase, i: number) {
  const xs = [c.batch, c.h, c.w, c.cin];
  const ws = [c.kh, c.kw, c.cin, c.cout];
  const size = (s: number[]) => s.reduce((p, q) => p * q, 1);
  return { xs, ws, xv: randomArray(size(xs), 10 + i), wv: randomArray(size(ws), 100 + i), rv: randomArray(size(outShape(c)), 1000 + i) };
}

test("wasm conv2d gradients (filter and input) equal the cpu backend's over sizes, strides, padding, channels, batches", async () => {
  for (const [i, c] of cases.entries()) {
    const { xs, ws, xv, wv, rv } = caseData(c, i);
    const f = convLoss(c, xv, wv, rv);
    const run = () => tf.grads(f)([tf.tensor(xv, xs), tf.tensor(wv, ws)]);
    const [dxCpu, dwCpu] = await on("cpu", run);
    const [dxWasm, dwWasm] = await on("wasm", run);
    assertClose(dwWasm, dwCpu, `dw ${JSON.stringify(c)}`);
    assertClose(dxWasm, dxCpu, `dx ${JSON.stringify(c)}`);
  }
});

test("wasm conv2d gradients agree with central finite differences", async () => {
  await useBackend("wasm", { quiet: true });
  for (const [i, c] of cases.entries()) {
    if (i % 3 !== 0) continue; // a third of the grid: each probe is two forward passes per entry
    const { xs, ws, xv, wv, rv } = caseData(c, i);
    const f = convLoss(c, xv, wv, rv);
    const [dx, dw] = tf.tidy(() => tf.grads(f)([tf.tensor(xv, xs), tf.tensor(wv, ws)])).map((t) => {
      const v = t.dataSync().slice();
      t.dispose();
      return v;
    });
    const value = (x: Float32Array, w: Float32Array) => tf.tidy(() => f(tf.tensor(x, xs), tf.tensor(w, ws)).dataSync()[0]);
    const eps = 1e-2;
    const r = rng(7 + i);
    for (let probe = 0; probe < 4; probe++) {
      const j = r.int(wv.length);
      const up = wv.slice(), down = wv.slice();
      up[j] += eps;
      down[j] -= eps;
      const fd = (value(xv, up) - value(xv, down)) / (2 * eps);
      const where = JSON.stringify(c);
      assert.ok(Math.abs(fd - dw[j]) <= 2e-2 * Math.max(1, Math.abs(fd)), `dw[${j}] ${dw[j]} vs finite difference ${fd} in ${where}`);
      const q = r.int(xv.length);
      const xu = xv.slice(), xd = xv.slice();
      xu[q] += eps;
      xd[q] -= eps;
      const fdx = (value(xu, wv) - value(xd, wv)) / (2 * eps);
      assert.ok(Math.abs(fdx - dx[q]) <= 2e-2 * Math.max(1, Math.abs(fdx)), `dx[${q}] ${dx[q]} vs finite difference ${fdx} in ${where}`);
    }
  }
});

test("wasm Conv2DBackpropFilter/Input kernels handle NCHW, explicit padding and ceil rounding as cpu does", async () => {
  const x = randomArray(2 * 3 * 9 * 7, 1);
  const w = randomArray(3 * 2 * 3 * 4, 2);
  const variants: Array<{ dataFormat: "NHWC" | "NCHW"; pad: unknown; strides: [number, number]; dimRoundingMode?: string }> = [
    { dataFormat: "NCHW", pad: "same", strides: [2, 2] },
    { dataFormat: "NHWC", pad: [[0, 0], [2, 1], [0, 2], [0, 0]], strides: [2, 1] },
    { dataFormat: "NHWC", pad: 1, strides: [3, 2], dimRoundingMode: "ceil" },
  ];
  for (const v of variants) {
    const xShape = v.dataFormat === "NCHW" ? [2, 3, 9, 7] : [2, 9, 7, 3];
    const run = () => {
      const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], [3, 2, 3, 4], v.strides, 1,
        v.pad as "same", v.dimRoundingMode as "ceil", false, v.dataFormat === "NCHW" ? "channelsFirst" : "channelsLast");
      const dy = tf.tensor(randomArray(tf.util.sizeFromShape(info.outShape), 3), info.outShape);
      const attrs = { strides: v.strides, pad: v.pad, dataFormat: v.dataFormat, dimRoundingMode: v.dimRoundingMode };
      const eng = tf.engine();
      const filterAttrs = { ...attrs, filterShape: [3, 2, 3, 4] } as never;
      const dw = eng.runKernel("Conv2DBackpropFilter", { x: tf.tensor(x, xShape), dy }, filterAttrs) as tf.Tensor;
      const inputAttrs = { ...attrs, inputShape: xShape } as never;
      const dx = eng.runKernel("Conv2DBackpropInput", { dy, filter: tf.tensor(w, [3, 2, 3, 4]) }, inputAttrs) as tf.Tensor;
      return [dw, dx];
    };
    const [dwCpu, dxCpu] = await on("cpu", run);
    const [dwWasm, dxWasm] = await on("wasm", run);
    assertClose(dwWasm, dwCpu, `dw ${JSON.stringify(v)}`);
    assertClose(dxWasm, dxCpu, `dx ${JSON.stringify(v)}`);
  }
});

test("wasm UnsortedSegmentSum adds duplicates, drops out-of-range ids, and makes the gather gradient work", async () => {
  const xv = randomArray(7 * 3 * 2, 5);
  const ids = [2, 0, 2, -1, 4, 9, 2];
  const run = () => [
    tf.unsortedSegmentSum(tf.tensor(xv, [7, 3, 2]), tf.tensor1d(ids, "int32"), 5),
    tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.gather(t, tf.tensor1d([1, 3, 1, 0, 3, 3], "int32")))))(
      tf.tensor(xv.slice(0, 12), [4, 3]),
    ),
  ];
  const cpu = await on("cpu", run);
  const wasm = await on("wasm", run);
  assertClose(wasm[0], cpu[0], "unsortedSegmentSum");
  assertClose(wasm[1], cpu[1], "gather gradient");
});

test("wasm batch-norm gradients equal cpu's", async () => {
  const xv = randomArray(6 * 4 * 4 * 3, 9);
  const run = () => {
    const x = tf.tensor(xv, [6, 4, 4, 3]);
    const f = (t: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(t, [0, 1, 2]);
      return tf.sum(tf.square(tf.batchNorm(t, mean, variance, b, g, 1e-3)).mul(tf.range(0, 3).add(1)));
    };
    return tf.grads(f)([x, tf.ones([3]), tf.zeros([3])]);
  };
  const cpu = await on("cpu", run);
  const wasm = await on("wasm", run);
  cpu.forEach((want, i) => assertClose(wasm[i], want, `batchNorm grad ${i}`, 1e-3));
});

function smallCnn(): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.conv2d({ inputShape: [12, 12, 1], filters: 4, kernelSize: 3, activation: "relu" }));
  m.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  m.add(tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: "same", activation: "relu" }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: 3, activation: "softmax" }));
  return m;
}

/** Three classes of 12x12 images: a bright row, column or diagonal (learnable by a small conv net). */
function stripes(n: number): { x: tf.Tensor4D; y: tf.Tensor2D } {
  const r = rng(3);
  const px = new Float32Array(n * 144);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % 3, at = r.int(12);
    for (let j = 0; j < 12; j++) {
      const [a, b] = k === 0 ? [at, j] : k === 1 ? [j, at] : [j, j];
      px[i * 144 + a * 12 + b] = 1;
    }
    for (let p = 0; p < 144; p++) px[i * 144 + p] += 0.1 * r.normal();
    labels.push(k);
  }
  return { x: tf.tensor4d(px, [n, 12, 12, 1]), y: tf.oneHot(tf.tensor1d(labels, "int32"), 3).toFloat() as tf.Tensor2D };
}

test("a tf.layers.conv2d model trains on wasm with model.fit and with train, the same as on cpu", async () => {
  const losses: Record<string, number[]> = {};
  for (const backend of ["cpu", "wasm"] as const) {
    await useBackend(backend, { quiet: true });
    for (const how of ["fit", "train"] as const) {
      seed(11);
      const data = stripes(48);
      const m = smallCnn();
      const before = tf.memory().numTensors;
      let curve: number[];
      if (how === "fit") {
        m.compile({ optimizer: tf.train.sgd(0.1), loss: "categoricalCrossentropy" });
        const h = await m.fit(data.x, data.y, { epochs: 4, batchSize: 16, shuffle: false, verbose: 0 });
        curve = h.history.loss as number[];
      } else {
        const options = { epochs: 4, batchSize: 16, learningRate: 0.1, shuffle: false, progress: false } as const;
        const h = await train(m, data, { ...options, optimizer: "sgd", loss: "categoricalCrossentropy" });
        curve = h.loss;
      }
      assert.ok(tf.memory().numTensors <= before + 2, `${backend}/${how}: tensors leaked (${tf.memory().numTensors - before})`);
      assert.ok(curve[curve.length - 1] < curve[0], `${backend}/${how}: loss did not fall: ${curve.join(", ")}`);
      losses[`${backend}/${how}`] = curve;
      tf.dispose([data.x, data.y]);
      m.dispose();
    }
  }
  unseed();
  for (const how of ["fit", "train"]) {
    const c = losses[`cpu/${how}`], w = losses[`wasm/${how}`];
    c.forEach((v, i) => assert.ok(Math.abs(v - w[i]) <= 1e-3 * Math.max(1, Math.abs(v)), `${how} epoch ${i}: cpu ${v} vs wasm ${w[i]}`));
  }
});

test("wasm forward convolutions with 'same' padding where the stride exceeds the kernel equal cpu's (XNNPACK SAME-flag bug)", async () => {
  const x = randomArray(2 * 9 * 8 * 2, 21);
  const f = randomArray(2 * 2 * 2 * 1, 22);
  const run = () => {
    const xt = tf.tensor4d(x, [2, 9, 8, 2]);
    const ft = tf.tensor4d(f, [2, 2, 2, 1]);
    return [
      tf.conv2d(xt, ft, 3, "same"),
      tf.fused.conv2d({ x: xt, filter: ft, strides: 3, pad: "same", bias: tf.ones([1]), activation: "relu" }),
      tf.depthwiseConv2d(xt, ft, 3, "same"),
    ];
  };
  const cpu = await on("cpu", run);
  const wasm = await on("wasm", run);
  cpu.forEach((want, i) => {
    assert.ok(want.some((v) => v !== 0), "the reference is not all zeros");
    assertClose(wasm[i], want, `op ${i}`);
  });
});
