import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { useBackend } from "../../../src/backend";
import {
  Chart,
  learningCurves,
  sweepChart,
  aggregateSweep,
  weightHistogram,
  countZeros,
  heatmap,
  decisionBoundary,
  lossContours,
  ensembleBars,
  imageGrid,
  layer,
  hconcat,
  vconcat,
  facet,
  chart,
  pngSize,
} from "../../../src/charts";
import { contourSegments, sampleGrid } from "../../../src/charts/marching-squares";
import { rasterDataURL } from "../../../src/charts/raster";
import * as zlib from "node:zlib";

const vl561 = require("vega-lite-5.6.1") as { version: string; compile(spec: unknown, opt?: unknown): { spec: unknown } };

const history = { loss: [1.2, 0.8, 0.55, 0.42, 0.37, 0.35], val_loss: [1.3, 0.95, 0.8, 0.76, 0.78, 0.82] };
const sweepRows = ["L1", "L2"].flatMap((method) =>
  [1e-4, 1e-3, 1e-2, 1e-1].flatMap((lambda) => [0, 1, 2].map(
    (seed) => ({ method, lambda, seed, acc: 0.8 + 0.01 * seed + (method === "L1" ? 0.02 : 0) - Math.abs(Math.log10(lambda) + 2) * 0.03 })
  )),
);
const quad = (a: number, b: number) => (a - 2) ** 2 + 2 * (b - 1) ** 2 + (a - 2) * (b - 1);

/** One of each builder (and composition), all with small inputs. */
function allCharts(): Array<[string, Chart]> {
  return [
    ["learningCurves", learningCurves(history, { earlyStopping: 4, logY: true })],
    ["learningCurves runs", learningCurves(
      [{ name: "λ=0", history }, { name: "λ=0.1", history: { loss: [1, 0.9, 0.8], val_loss: [1, 0.9, 0.85] } }], { runTitle: "λ" }
    )],
    ["sweepChart", sweepChart(sweepRows, { x: "lambda", y: "acc", color: "method", logX: true })],
    ["sweepChart facet", sweepChart(sweepRows, { x: "lambda", y: "acc", facet: "method", logX: true, band: "std" })],
    ["weightHistogram", weightHistogram({ L1: [0, 0, 0.5, -0.2, 0], L2: [0.1, -0.3, 0.2, 0.05, -0.1] })],
    ["weightHistogram facet", weightHistogram({ a: [0, 1], b: [1, 2], c: [2, 0] }, { mode: "facet", logY: true })],
    ["heatmap", heatmap([[1, -2, 0.5], [0, 0.3, -0.1]])],
    ["decisionBoundary", decisionBoundary({
      points: [[0, 0], [1, 1], [0.5, 0.2]], labels: [0, 1, 0], predict: (g) => g.map(([x, y]) => (x + y > 1 ? 0.9 : 0.1)), resolution: 10
    })],
    ["lossContours", lossContours({
      loss: quad, xDomain: [-1, 3], yDomain: [-1, 3], resolution: 30, penalty: "l2", path: [[-0.5, 2], [0.5, 1.5], [1, 1]], optimum: [2, 1],
      regularizedOptimum: [1, 0.6]
    })],
    ["ensembleBars", ensembleBars({ m1: 0.9, m2: 0.91, m3: 0.88 }, 0.93, { metric: "accuracy" })],
    ["imageGrid", imageGrid([[[0, 1], [1, 0]], [[1, 1], [0, 0]]], { captions: ["a", "b"] })],
    ["layer", layer([chart({ data: { values: [{ x: 1, y: 2 }] }, mark: "point", encoding: {
      x: { field: "x", type: "quantitative" }, y: { field: "y", type: "quantitative" }
    } }), chart({ data: { values: [{ y: 2 }] }, mark: "rule", encoding: { y: { field: "y", type: "quantitative" } } })])],
    ["hconcat", hconcat([heatmap([[1, 2]]), heatmap([[3, 4]])])],
    ["vconcat", vconcat([ensembleBars({ a: 1 }, 2), ensembleBars({ b: 1 }, 2)])],
    ["facet", facet(chart({ data: { values: sweepRows }, mark: "point", encoding: {
      x: { field: "lambda", type: "quantitative" }, y: { field: "acc", type: "quantitative" }
    } }), { field: "method" })],
  ];
}

test("every builder's spec compiles with vega-lite 5.6.1 (JupyterLab's) without errors or warnings", () => {
  assert.equal(vl561.version, "5.6.1");
  for (const [name, c] of allCharts()) {
    const warnings: string[] = [];
    const logger = {
      level: () => logger, warn: (...a: unknown[]) => (warnings.push(a.join(" ")), logger),
      error: (...a: unknown[]) => (warnings.push(a.join(" ")), logger), info: () => logger, debug: () => logger
    };
    assert.doesNotThrow(() => vl561.compile(c.spec, { logger }), `${name} compiles with 5.6.1`);
    assert.deepEqual(warnings, [], `${name}: no vega-lite 5.6.1 warnings`);
    assert.deepEqual(c.warnings, [], `${name}: no vega-lite 5.23 warnings`);
  }
});

test("every builder renders a PNG at twice its logical size", () => {
  for (const [name, c] of allCharts()) {
    const b = c.bundle();
    const meta = b.metadata["image/png"] as { width: number; height: number };
    const size = pngSize(Buffer.from(String(b.data["image/png"]), "base64"));
    assert.equal(size.width, 2 * meta.width, name);
    assert.equal(size.height, 2 * meta.height, name);
  }
});

test("builders read tensors without leaking any", async () => {
  await useBackend("cpu", { quiet: true });
  const w = tf.tensor2d([[0, 0.5], [-1, 0]]);
  const imgs = tf.zeros([3, 4, 4]);
  const pts = tf.tensor2d([[0, 0], [1, 1]]);
  const labels = tf.tensor1d([0, 1], "int32");
  const before = tf.memory().numTensors;
  weightHistogram({ a: w, b: w.flatten() }).bundle();
  heatmap(w).bundle();
  imageGrid(imgs).bundle();
  // predict makes tensors (input, matmul, sigmoid) and returns a [n, 1] tensor.
  decisionBoundary({
    points: pts, labels, resolution: 8, predict: (g) => tf.sigmoid(tf.tensor2d(g).matMul(tf.tensor2d([[1], [1]])))
  }).bundle();
  // the flatten() above made one tensor that the caller owns; everything else must be freed.
  assert.equal(tf.memory().numTensors, before + 1);
  tf.dispose([w, imgs, pts, labels]);
});

test("decision boundary: predict sees the cell centres; the p = 0.5 line is where it should be", () => {
  let seen: number[][] = [];
  const predict = (g: number[][]) => ((seen = g), g.map(([x, y]) => 1 / (1 + Math.exp(-(x - y)))));
  const c = decisionBoundary({ predict, xDomain: [0, 2], yDomain: [0, 1], resolution: 4 });
  // Centres row by row (y outer): x = (i + 1/2)·2/4, y = (j + 1/2)·1/4.
  const expected = [0, 1, 2, 3].flatMap((j) => [0, 1, 2, 3].map((i) => [(i + 0.5) * 0.5, (j + 0.5) * 0.25]));
  assert.deepEqual(seen, expected);
  const layers = c.spec.layer as Array<{ mark: { type: string } | string; data: { values: Array<Record<string, number>> } }>;
  const rule = layers.find((l) => typeof l.mark === "object" && l.mark.type === "rule");
  assert.ok(rule, "has the p = 0.5 contour");
  // p = 0.5 exactly where x = y; linear interpolation of a sigmoid is off by little on this grid.
  for (const s of rule!.data.values) for (const [x, y] of [[s.x, s.y], [s.x2, s.y2]]) assert.ok(Math.abs(x - y) < 0.02, `(${x}, ${y})`);
  assert.throws(() => decisionBoundary({ points: [[0, 0]] }), /give either predict/);
});

test("raster image: PNG rows top-down (highest y first), colours from the vega scheme", () => {
  const vega = require("vega") as { scheme(n: string): (t: number) => string };
  const url = rasterDataURL([[0, 1], [1, 1]], { scheme: "blueorange", domain: [0, 1] }); // value 0 at (x0, y0) = bottom-left
  const png = Buffer.from(url.replace(/^data:image\/png;base64,/, ""), "base64");
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [2, 2]);
  // IDAT starts after signature (8) + IHDR chunk (25); inflate it: 2 scanlines of filter byte + 2 RGB pixels.
  const idatLen = png.readUInt32BE(33);
  const raw = zlib.inflateSync(png.subarray(41, 41 + idatLen));
  const rgb = (row: number, col: number) => [...raw.subarray(row * 7 + 1 + col * 3, row * 7 + 4 + col * 3)];
  const hexOrRgb = (s: string) => (s.match(/\d+/g) ?? []).map(Number);
  assert.deepEqual(rgb(1, 0), hexOrRgb(vega.scheme("blueorange")(0)), "bottom-left pixel = value 0");
  assert.deepEqual(rgb(0, 0), hexOrRgb(vega.scheme("blueorange")(1)));
});

test("marching squares puts contour points on the level set (circle of radius 1)", () => {
  const { xs, ys, z } = sampleGrid((x, y) => x * x + y * y, [-2, 2], [-2, 2], 81);
  const segs = contourSegments(xs, ys, z, [1]);
  assert.ok(segs.length > 50);
  for (const s of segs) {
    for (const [x, y] of [[s.x, s.y], [s.x2, s.y2]]) assert.ok(Math.abs(Math.hypot(x, y) - 1) < 0.01, `(${x}, ${y}) off the circle`);
  }
  // Closed curve: its length is about 2π.
  const length = segs.reduce((a, s) => a + Math.hypot(s.x2 - s.x, s.y2 - s.y), 0);
  assert.ok(Math.abs(length - 2 * Math.PI) < 0.02, `length ${length}`);
});

test("sweep aggregation: mean, min–max and mean ± sample sd per group", () => {
  const rows = [1, 2, 6].map((v, seed) => ({ lambda: 0.1, seed, acc: v }));
  const [mm] = aggregateSweep(rows, { x: "lambda", y: "acc" });
  assert.deepEqual([mm.mean, mm.lo, mm.hi, mm.n], [3, 1, 6, 3]);
  const [sd] = aggregateSweep(rows, { x: "lambda", y: "acc", band: "std" });
  const s = Math.sqrt(((1 - 3) ** 2 + (2 - 3) ** 2 + (6 - 3) ** 2) / 2);
  assert.ok(Math.abs(sd.hi - (3 + s)) < 1e-12 && Math.abs(sd.lo - (3 - s)) < 1e-12);
  assert.throws(() => sweepChart([{ lambda: 0, acc: 1 }], { x: "lambda", y: "acc", logX: true }), /logX needs lambda > 0/);
  assert.throws(() => sweepChart([{ l: 1, acc: 1 }], { x: "lambda", y: "acc" }), /no 'lambda' field/);
});

test("sweepChart: several y columns become one line each; a DataFrame-like input is read by column", () => {
  const frame = { columns: ["lambda", "seed", "train", "test"], values: [[0, 0, 1, 5], [0, 1, 3, 7], [1, 0, 2, 2], [1, 1, 2, 4]] };
  const spec = sweepChart(frame, { x: "lambda", y: ["train", "test"] }).spec as { data: { values: Array<{
    x: number; mean: number; series: string; n: number
  }> } };
  const byKey = new Map(spec.data.values.map((a) => [`${a.series}@${a.x}`, a]));
  assert.equal(byKey.size, 4);
  assert.deepEqual(
    [byKey.get("train@0")!.mean, byKey.get("test@0")!.mean, byKey.get("test@1")!.mean, byKey.get("train@1")!.n], [2, 6, 3, 2]
  );
  const both = sweepChart([{ lambda: 1, m: "a", train: 1, test: 2 }], { x: "lambda", y: ["train", "test"], color: "m" }).spec as {
    data: { values: Array<{ series: string }> }
  };
  assert.deepEqual(both.data.values.map((a) => a.series).sort(), ["a · test", "a · train"]);
  assert.throws(() => sweepChart([{ lambda: 1, train: 1 }], { x: "lambda", y: ["train", "test"] }), /no 'test' field/);
});

test("weight histogram counts exact zeros and keeps every finite weight", () => {
  const values = [0, 0, -0, 1e-9, 0.5, -0.5, 0.25, 0];
  assert.equal(countZeros(values), 4);
  const c = weightHistogram({ w: values }, { bins: 5 });
  const rows = (c.spec.data as { values: Array<{ set: string; count: number }> }).values;
  assert.equal(rows.reduce((a, r) => a + r.count, 0), values.length);
  assert.match(rows[0].set, /4 of 8 exactly 0/);
});

test("learning curves: metric aliases, clear errors, early-stopping rule", () => {
  const c = learningCurves({ acc: [0.5, 0.7], val_acc: [0.45, 0.6] }, { metric: "accuracy", earlyStopping: { epoch: 2, label: "best" } });
  const values = (c.spec.data as { values: Array<{ split: string }> }).values;
  assert.equal(values.length, 4);
  assert.match(JSON.stringify(c.spec), /"label":"best"/);
  assert.throws(() => learningCurves({ loss: [1] }, { metric: "auc" }), /no 'auc' or 'val_auc' in the history; it has: loss/);
  // tfjs History and reglab History shapes.
  assert.equal(((learningCurves({ epoch: [0, 1], history: { loss: [1, 0.5] } }).spec.data as { values: unknown[] }).values).length, 2);
  assert.equal(
    ((learningCurves({ epoch: [0, 1], metrics: { loss: [1, 0.5], val_loss: [1, 0.7] } }).spec.data as { values: unknown[] }).values).length,
    4
  );
});

test("image grid: long captions are cut to the cell and do not widen the chart", () => {
  const imgs = [[[0, 1], [1, 0]], [[1, 0], [0, 1]]];
  const short = imageGrid(imgs, { captions: ["a", "b"], pixelSize: 20 });
  const long = imageGrid(imgs, { captions: ["a caption far wider than the image", "b"], pixelSize: 20 });
  assert.deepEqual(long.size(), short.size());
  const texts = ((long.spec.layer as Array<{ data: { values: Array<{ text?: string }> } }>)[1]).data.values.map((v) => v.text);
  assert.match(String(texts[0]), /…$/);
  assert.throws(() => imageGrid([1, 2, 3]), /expected \[n, h, w\]|pass shape/);
});

test("layout: early-stop label flips left near the right edge; long ensemble labels tilt and are all kept; epoch axis not padded", () => {
  const textMark = (c: Chart) => JSON.stringify(c.spec).match(/"type":"text","align":"(left|right)"/)?.[1];
  const n = 20;
  const h = { loss: Array.from({ length: n }, (_, i) => 1 / (i + 1)), val_loss: Array.from({ length: n }, (_, i) => 1.1 / (i + 1)) };
  assert.equal(textMark(learningCurves(h, { earlyStopping: 4 })), "left");
  assert.equal(textMark(learningCurves(h, { earlyStopping: 19 })), "right");
  assert.match(JSON.stringify(learningCurves(h).spec), /"field":"epoch","type":"quantitative","title":"epoch","scale":\{"nice":false\}/);
  const short = ensembleBars({ a: 0.9, b: 0.91 }, 0.93);
  const long = ensembleBars(
    { "member 1": 0.9, "member 2": 0.91, "member 3": 0.9, "member 4": 0.91, "member 5": 0.9 }, { name: "bagged ensemble", value: 0.93 }
  );
  assert.match(JSON.stringify(short.spec), /"labelAngle":0/);
  assert.match(JSON.stringify(long.spec), /"labelAngle":-40,"labelOverlap":false/);
  // Every label is drawn: the rendered SVG contains the ensemble's name.
  assert.match(long.toSVG(), /bagged ensemble/);
});

test("sweepChart: xTicks 'data' puts the x axis ticks exactly at the swept values; a list is used as given", () => {
  const rows = [12, 16, 24, 48].flatMap((n) => [{ n, seed: 0, mse: 1 / n }, { n, seed: 1, mse: 2 / n }]);
  const axisOf = (c: ReturnType<typeof sweepChart>) => ((c.spec as { layer: Array<{
    encoding: { x: { axis: { values?: number[] } } }
  }> }).layer[0].encoding.x.axis);
  assert.deepEqual(axisOf(sweepChart(rows, { x: "n", y: "mse", xTicks: "data" })).values, [12, 16, 24, 48]);
  assert.deepEqual(axisOf(sweepChart(rows, { x: "n", y: "mse", xTicks: [10, 50], logX: true })).values, [10, 50]);
  assert.equal(axisOf(sweepChart(rows, { x: "n", y: "mse" })).values, undefined);
});
