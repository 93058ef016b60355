/**
 * Rich display of tfjs models (a summary table like model.summary()) and of
 * training histories (a per-epoch table) instead of object dumps.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { toMimeBundle } from "../../../src/display/rich";
import { MAX_HISTORY_ROWS, thinnedRows } from "../../../src/frames";
import { History } from "../../../src/training/history";
import { train } from "../../../src/training/train";
import { useBackend } from "../../../src/backend";
import { seed } from "../../../src/random/seed";

/** The numbers tfjs's own model.summary() prints (an independent source). */
function tfjsSummary(m: tf.LayersModel): { lines: string[]; total: number; trainable: number; nonTrainable: number } {
  const lines: string[] = [];
  m.summary(200, undefined, (s: string) => lines.push(s));
  const num = (label: string) => Number(/: ([\d,]+)/.exec(lines.find((l) => l.startsWith(label))!)![1].replace(/,/g, ""));
  return { lines, total: num("Total params"), trainable: num("Trainable params"), nonTrainable: num("Non-trainable params") };
}

/** Plain-text table rows (after the header) split into cells. */
function textRows(text: string): string[][] {
  return text
    .split("\n")
    .filter((l) => /^\s*\d/.test(l))
    .map((l) => l.trim().split(/\s{2,}/));
}

describe("display of tfjs models and training histories", () => {
  let model: tf.Sequential;
  before(async () => {
    await useBackend("cpu", { quiet: true });
    seed(1);
    model = tf.sequential({
      name: "demo",
      layers: [
        tf.layers.dense({ units: 5, inputShape: [3], activation: "relu", name: "hidden" }),
        tf.layers.dropout({ rate: 0.5, name: "drop" }),
        tf.layers.batchNormalization({ name: "bn" }),
        tf.layers.dense({ units: 2, name: "out" }),
      ],
    });
  });
  after(() => model.dispose());

  it("a LayersModel shows each layer's name, type, output shape and params, and the totals of model.summary()", () => {
    const before = tf.memory().numTensors;
    const b = toMimeBundle(model);
    assert.equal(tf.memory().numTensors, before, "no tensors made");
    const text = String(b.data["text/plain"]);
    const html = String(b.data["text/html"]);
    assert.doesNotMatch(text, /_callHook|_addedWeightNames/);
    // Independent per-layer counts: dense 3→5: 3*5+5; dropout 0; batchnorm: gamma, beta, moving mean, moving variance of 5;
    // dense 5→2: 5*2+2.
    const expected = [
      ["hidden", "Dense", "[null, 5]", 3 * 5 + 5],
      ["drop", "Dropout", "[null, 5]", 0],
      ["bn", "BatchNormalization", "[null, 5]", 4 * 5],
      ["out", "Dense", "[null, 2]", 5 * 2 + 2],
    ] as const;
    for (const [name, type, shape, params] of expected) {
      assert.match(text, new RegExp(`\\n${name} \\(${type}\\)\\s+\\[null, \\d\\]\\s+${params}\\n`));
      assert.ok(text.includes(`${name} (${type})`) && text.includes(shape));
      assert.ok(
        html.includes(
          `<td style="text-align:left">${name}</td><td style="text-align:left">${type}</td>` +
            `<td style="text-align:left">${shape}</td><td style="text-align:right">${params}</td>`
        ),
        name
      );
    }
    const ref = tfjsSummary(model);
    assert.equal(ref.total, expected.reduce((a, r) => a + r[3], 0));
    assert.match(text, new RegExp(`Total params: ${ref.total}\\b`));
    assert.match(text, new RegExp(`Trainable params: ${ref.trainable}\\b`));
    assert.match(text, new RegExp(`Non-trainable params: ${ref.nonTrainable}\\b`));
    assert.match(text, new RegExp(`^Sequential "demo": 4 layers, ${ref.total} params`));
    assert.ok(html.startsWith("<table") && html.includes("Non-trainable params: 10"));
  });

  it("a functional model with two outputs, and an empty Sequential, do not throw", () => {
    const input = tf.input({ shape: [2] });
    const trunk = tf.layers.dense({ units: 3, name: "trunk" }).apply(input) as tf.SymbolicTensor;
    const a = tf.layers.dense({ units: 1, name: "a" }).apply(trunk) as tf.SymbolicTensor;
    const c = tf.layers.dense({ units: 2, name: "c" }).apply(trunk) as tf.SymbolicTensor;
    const m = tf.model({ inputs: input, outputs: [a, c] });
    const text = String(toMimeBundle(m).data["text/plain"]);
    assert.match(text, /\ntrunk \(Dense\)\s+\[null, 3\]\s+9\n/);
    assert.match(text, new RegExp(`Total params: ${tfjsSummary(m).total}\\b`));
    m.dispose();
    const empty = toMimeBundle(tf.sequential());
    assert.match(String(empty.data["text/plain"]), /^<Sequential "[\w]+": no layers yet>$/);
  });

  it("a History from train shows one row per epoch with its metrics", async () => {
    const x = tf.randomNormal([32, 3]);
    const y = tf.randomNormal([32, 2]);
    const h = await train(model, { x, y }, { epochs: 4, batchSize: 16, validationData: { x, y }, progress: false });
    x.dispose();
    y.dispose();
    const b = toMimeBundle(h);
    const text = String(b.data["text/plain"]);
    const html = String(b.data["text/html"]);
    const names = Object.keys(h.metrics);
    assert.ok(names.includes("loss") && names.includes("val_loss"));
    assert.match(text, new RegExp(`^History: 4 epochs \\(${names.join(", ")}\\)`));
    const header = text.split("\n")[1].trim().split(/\s+/);
    assert.deepEqual(header, ["epoch", ...names]);
    const rows = textRows(text.split("\n").slice(2).join("\n"));
    assert.equal(rows.length, 4);
    rows.forEach((r, i) => {
      assert.equal(Number(r[0]), h.epoch[i]);
      names.forEach((n, j) => {
        const v = h.metrics[n][i];
        assert.ok(Math.abs(Number(r[j + 1]) - v) <= 1e-3 * Math.max(1, Math.abs(v)), `${n}[${i}] shown ${r[j + 1]} vs ${v}`);
      });
    });
    assert.equal((html.match(/<tr>/g) ?? []).length, 1 + 4, "header + one row per epoch");
  });

  it("a tfjs fit History and a long History (thinned, first and last kept) show as tables", async () => {
    const x = tf.ones([8, 3]);
    const y = tf.zeros([8, 2]);
    const m = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [3] })] });
    m.compile({ optimizer: "sgd", loss: "meanSquaredError" });
    const fit = await m.fit(x, y, { epochs: 3, verbose: 0 });
    const fitText = String(toMimeBundle(fit).data["text/plain"]);
    assert.match(fitText, /^History: 3 epochs \(loss\)/);
    const fitRows = textRows(fitText.split("\n").slice(2).join("\n"));
    assert.deepEqual(fitRows.map((r) => Number(r[0])), fit.epoch);
    fitRows.forEach((r, i) => assert.ok(
      Math.abs(Number(r[1]) - (fit.history.loss[i] as number)) < 1e-3 * Math.max(1, fit.history.loss[i] as number)
    ));
    tf.dispose([x, y]);
    m.dispose();

    const n = 100;
    const long = new History();
    for (let e = 0; e < n; e++) long.record(e, { loss: 1 / (e + 1) });
    const shown = thinnedRows(n, MAX_HISTORY_ROWS);
    assert.ok(shown.length <= MAX_HISTORY_ROWS);
    assert.equal(shown[0], 0);
    assert.equal(shown[shown.length - 1], n - 1);
    const text = String(toMimeBundle(long).data["text/plain"]);
    const epochs = textRows(text.split("\n").slice(2).join("\n")).map((r) => Number(r[0]));
    assert.deepEqual(epochs, shown);
    assert.match(text, new RegExp(`^History: ${n} epochs \\(loss\\); one epoch in ${shown[1] - shown[0]} shown, and the last`));
    // Even spacing apart from the last step.
    const steps = new Set(epochs.slice(1, -1).map((e, i) => e - epochs[i]));
    assert.equal(steps.size, 1);
  });
});
