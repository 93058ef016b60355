/** Rich display: the MIME bundle chosen for each kind of value, and display(). */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "util";
import * as tf from "@tensorflow/tfjs";
import { toMimeBundle, display, tensorText } from "../../../src/display/rich";
import "../../../src/frames"; // registers the DataFrame renderer
import { CapturedOutput } from "../../../src/display/capture";
import { DISPLAY_SINK, JUPYTER_DISPLAY, type DisplayContent } from "../../../src/display/transport";
import { useBackend } from "../../../src/backend";

/** A stand-in with a danfo DataFrame's shape (so this test needs no danfo). */
class DataFrame {
  constructor(
    readonly columns: string[],
    readonly values: unknown[][],
  ) {}
  get index(): number[] {
    return this.values.map((_, i) => i);
  }
  get shape(): number[] {
    return [this.values.length, this.columns.length];
  }
}

describe("toMimeBundle", () => {
  before(async () => {
    await useBackend("cpu", { quiet: true });
  });

  it("uses an object's own Jupyter.display bundle (bare or {data, metadata})", () => {
    const bare = { [JUPYTER_DISPLAY]: () => ({ "text/html": "<b>x</b>", "text/plain": "x" }) };
    assert.deepEqual(toMimeBundle(bare), { data: { "text/html": "<b>x</b>", "text/plain": "x" }, metadata: {} });
    const full = {
      [JUPYTER_DISPLAY]: () => ({ data: { "image/png": "AAAA" }, metadata: { "image/png": { width: 3, height: 2 } } }),
    };
    const b = toMimeBundle(full);
    assert.equal(b.data["image/png"], "AAAA");
    assert.deepEqual(b.metadata, { "image/png": { width: 3, height: 2 } });
    assert.equal(typeof b.data["text/plain"], "string", "a text fallback is added");
  });

  it("shows tensors with dtype, shape and values, and survives disposal", () => {
    const t = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    const text = String(toMimeBundle(t).data["text/plain"]);
    const lines = text.split("\n");
    assert.equal(lines[0], "Tensor float32 [2, 3]");
    // Values as tfjs prints them (its toString minus the "Tensor" header).
    const numbers = (lines.slice(1).join(" ").match(/-?\d+(\.\d+)?/g) ?? []).map(Number);
    assert.deepEqual(numbers, Array.from(t.dataSync()));
    t.dispose();
    assert.equal(toMimeBundle(t).data["text/plain"], "Tensor float32 [2, 3] (disposed)");
    const big = tf.zeros([50, 50], "int32");
    assert.ok(tensorText(big).length < 1000, "large tensors are truncated");
    assert.match(tensorText(big), /^Tensor int32 \[50, 50\]\n/);
    big.dispose();
    const s = tf.scalar(2.5);
    assert.equal(String(toMimeBundle(s).data["text/plain"]).split("\n")[0], "Tensor float32 []");
    s.dispose();
  });

  it("shows other values as inspected text, strings quoted", () => {
    for (const v of ["it's", "plain", 42, [1, 2], { a: { b: 1 } }, null, new Map([[1, 2]])]) {
      assert.deepEqual(toMimeBundle(v), { data: { "text/plain": inspect(v, { depth: 4 }) }, metadata: {} });
    }
    assert.equal(toMimeBundle("abc").data["text/plain"], "'abc'");
  });

  it("shows DataFrames as an HTML table plus text", () => {
    const df = new DataFrame(["a", "b"], [[1, "x"], [2, "<y>"]]);
    const b = toMimeBundle(df);
    const html = String(b.data["text/html"]);
    assert.match(html, /<table/);
    assert.ok(html.includes("&lt;y&gt;"), "cells are HTML-escaped");
    assert.ok(!html.includes("<y>"));
    assert.match(String(b.data["text/plain"]), /a\s+b/);
  });
});

describe("display()", () => {
  const g = globalThis as Record<symbol, unknown>;
  let prev: unknown;
  const seen: Array<{ content: DisplayContent; update: boolean }> = [];
  before(() => {
    prev = g[DISPLAY_SINK];
    g[DISPLAY_SINK] = (content: DisplayContent, update: boolean) => seen.push({ content, update });
  });
  after(() => {
    g[DISPLAY_SINK] = prev;
  });

  it("publishes one display_data per value through the kernel's sink", () => {
    seen.length = 0;
    display("a", { [JUPYTER_DISPLAY]: () => ({ "text/markdown": "**b**" }) });
    assert.equal(seen.length, 2);
    assert.deepEqual(seen[0], { content: { data: { "text/plain": "'a'" }, metadata: {} }, update: false });
    assert.equal(seen[1].content.data["text/markdown"], "**b**");
  });

  it("CapturedOutput keeps order and replays displays", () => {
    seen.length = 0;
    const cap = new CapturedOutput();
    cap.add({ type: "stream", name: "stdout", text: "a" });
    cap.add({ type: "stream", name: "stdout", text: "b\n" });
    cap.add({ type: "display", content: { data: { "text/plain": "d" }, metadata: {} }, update: false });
    cap.add({ type: "stream", name: "stderr", text: "e\n" });
    assert.equal(cap.stdout, "ab\n");
    assert.equal(cap.stderr, "e\n");
    assert.equal(cap.outputs.length, 3, "adjacent stream chunks merge");
    const writes: string[] = [];
    const orig = process.stdout.write;
    const origErr = process.stderr.write;
    process.stdout.write = ((s: string) => (writes.push(`out:${s}`), true)) as typeof process.stdout.write;
    process.stderr.write = ((s: string) => (writes.push(`err:${s}`), true)) as typeof process.stderr.write;
    try {
      cap.show();
    } finally {
      process.stdout.write = orig;
      process.stderr.write = origErr;
    }
    assert.deepEqual(writes, ["out:ab\n", "err:e\n"]);
    assert.equal(seen.length, 1);
    assert.equal(seen[0].content.data["text/plain"], "d");
  });
});
