import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import {
  historyToFrame, frameToRecords, historyToRecords, tableHtml, tableText, frameBundle, formatCell, loadDanfo
} from "../../../src/frames";

test("danfo shares reglab's tfjs-core (one engine, one Tensor class)", () => {
  const dfd = loadDanfo();
  // danfojs-node requires @tensorflow/tfjs-node, which package.json overrides with a second copy of the
  // @tensorflow/tfjs umbrella package; what must be shared is tfjs-core underneath it.
  const dtf = dfd.tensorflow as unknown as typeof tf;
  assert.equal(dtf.Tensor, tf.Tensor);
  assert.equal(dtf.engine(), tf.engine());
  const before = tf.memory().numTensors;
  const t = dtf.tensor1d([1, 2]);
  assert.equal(tf.memory().numTensors, before + 1, "danfo's tensors count in reglab's engine");
  t.dispose();
});

test("history -> DataFrame -> records round trip, for every history shape", () => {
  const columns = { epoch: [0, 1, 2], loss: [0.9, 0.5, 0.3], val_loss: [1, 0.7, 0.65] };
  const expected = [0, 1, 2].map((i) => ({ epoch: columns.epoch[i], loss: columns.loss[i], val_loss: columns.val_loss[i] }));
  const shapes = [
    columns,
    { epoch: columns.epoch, history: { loss: columns.loss, val_loss: columns.val_loss } },
    { epoch: columns.epoch, metrics: { loss: columns.loss, val_loss: columns.val_loss } },
    expected,
  ];
  for (const h of shapes) {
    const df = historyToFrame(h);
    assert.deepEqual(df.columns, ["epoch", "loss", "val_loss"]);
    assert.deepEqual(frameToRecords(df), expected);
  }
  // Without epochs: numbered from 1; a metric missing in some epochs becomes NaN.
  const recs = frameToRecords(historyToFrame([{ loss: 1 }, { loss: 0.5, lr: 0.1 }]));
  assert.deepEqual(recs.map((r) => r.epoch), [1, 2]);
  assert.ok(Number.isNaN(recs[0].lr));
  assert.throws(() => historyToRecords({ epoch: [1, 2] } as never), /no metric columns/);
});

test("tables: truncation note, 4 significant digits, escaping, text/plain twin", () => {
  const records = Array.from({ length: 25 }, (_, i) => ({ epoch: i + 1, loss: 1 / (i + 3), note: i === 0 ? "<b>&" : "x" }));
  const html = tableHtml(records, { maxRows: 10 });
  assert.equal((html.match(/<tr>/g) ?? []).length, 1 + 10 + 1); // header, rows, note
  assert.match(html, /… 15 more rows/);
  assert.match(html, new RegExp(`>${Number((1 / 3).toPrecision(4))}<`));
  assert.match(html, /&lt;b&gt;&amp;/);
  assert.doesNotMatch(html, /<b>&/);
  const text = tableText(records, { maxRows: 3 });
  const lines = text.split("\n");
  assert.equal(lines.length, 1 + 3 + 1);
  assert.equal(lines[4], "… 22 more rows");
  assert.ok(lines[1].endsWith("<b>&"));
  assert.equal(formatCell(123456), "123456");
  assert.equal(formatCell(0.000012346), "1.235e-5");
  assert.equal(formatCell(2 / 3), "0.6667");

  const b = frameBundle(historyToFrame({ loss: [0.5, 0.25] }));
  assert.deepEqual(Object.keys(b).sort(), ["text/html", "text/plain"]);
  assert.match(b["text/plain"], /epoch\s+loss/);
  assert.match(b["text/html"], /<th style="text-align:right">0<\/th>/, "frames show their index");
});

test("table(rows) displays itself as an HTML table", async () => {
  const { table } = await import("../../../src/frames/table-view");
  const { toMimeBundle } = await import("../../../src/display/rich");
  const t = table([{ method: "a", loss: 0.123456 }, { method: "b", loss: 2 }], { caption: "losses" });
  const b = toMimeBundle(t);
  assert.match(String(b.data["text/html"]), /<caption>losses<\/caption>.*<td[^>]*>a<\/td><td[^>]*>0\.1235<\/td>/);
  assert.match(String(b.data["text/plain"]), /method\s+loss/);
  assert.equal(String(t), String(b.data["text/plain"]));
  assert.throws(() => table(null as never), /expected an array/);
});
