/**
 * display/ asks renderers registered by other areas; frames/ registers the
 * table renderers. display/ must not load frames/ (one direction only).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { spawnSync } from "node:child_process";
import { registerRenderer, renderRegistered } from "../../../src/display/renderers";
import { toMimeBundle } from "../../../src/display/rich";
import { tableHtml } from "../../../src/frames";

const dist = path.resolve(__dirname, "..", "..", "..");

class DataFrame {
  shape = [2, 2];
  columns = ["a", "b"];
  values = [[1, "x"], [2, "<y>"]];
  index = [0, 1];
}

describe("display renderers", () => {
  it("a registered renderer is asked in order; the same name replaces it", () => {
    const marker = { kind: "marker-for-test" };
    registerRenderer({ name: "test marker", render: (v) => (v === marker ? { data: { "text/plain": "one" }, metadata: {} } : null) });
    assert.equal(toMimeBundle(marker).data["text/plain"], "one");
    registerRenderer({ name: "test marker", render: (v) => (v === marker ? { data: { "text/plain": "two" }, metadata: {} } : null) });
    assert.equal(renderRegistered(marker)?.data["text/plain"], "two");
    assert.equal(renderRegistered({ kind: "other" }), null);
  });

  it("frames registers the one table renderer: a DataFrame shows as frames' table", () => {
    const df = new DataFrame();
    const b = toMimeBundle(df);
    assert.equal(b.data["text/html"], tableHtml(df));
    assert.ok(String(b.data["text/html"]).includes("&lt;y&gt;"), "cells are HTML-escaped");
  });

  it("a History with no epochs yet shows as an object, not a table", () => {
    class History {
      epoch: number[] = [];
      metrics: Record<string, number[]> = {};
    }
    assert.deepEqual(Object.keys(toMimeBundle(new History()).data), ["text/plain"]);
    const h = new History();
    h.epoch.push(1);
    h.metrics.loss = [0.5];
    assert.match(String(toMimeBundle(h).data["text/plain"]), /^History: 1 epoch \(loss\)/);
  });

  it("loading src/display does not load src/frames", () => {
    const framesDir = JSON.stringify(path.join(dist, "src", "frames") + path.sep);
    const code =
      `require(${JSON.stringify(path.join(dist, "src", "display"))});` +
      `const frames = Object.keys(require.cache).filter((k) => k.includes(${framesDir}));` +
      `process.stdout.write(JSON.stringify(frames));`;
    const r = spawnSync(process.execPath, ["-e", code], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), []);
  });
});
